package v1alpha1

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDecodeAppProject(t *testing.T) {
	manifest := readManifest(t, "appproject-team.yaml")
	proj := decodeStrict[AppProject](t, manifest)

	wantWhitelist := []ClusterResourceRestrictionItem{{Group: "", Kind: "Namespace", Name: "team-*"}}
	if diff := cmp.Diff(wantWhitelist, proj.Spec.ClusterResourceWhitelist); diff != "" {
		t.Errorf("clusterResourceWhitelist (-want +got):\n%s", diff)
	}
	if warn := proj.Spec.OrphanedResources.Warn; warn == nil || *warn {
		t.Errorf("orphanedResources.warn = %v, want an explicit false", warn)
	}
	if !proj.Spec.SyncWindows[0].UseAndOperator {
		t.Error("syncWindows[0].andOperator = false, want true")
	}
	wantToken := JWTToken{IssuedAt: 1717236000, ExpiresAt: 1748772000, ID: "8f0e4e4e-1c1e-4b56-9a57-3d5b2f4b8d11"}
	if diff := cmp.Diff([]JWTToken{wantToken}, proj.Status.JWTTokensByRole["ci"].Items); diff != "" {
		t.Errorf("status.jwtTokensByRole[ci] (-want +got):\n%s", diff)
	}
	if diff := wireDiff(t, manifest, proj); diff != "" {
		t.Errorf("round trip (-manifest +re-encoded):\n%s", diff)
	}
}
