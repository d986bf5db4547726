package application

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	jsonpatch "github.com/evanphx/json-patch/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// syncedStatus is the status of an Application synced and healthy, with
// the fields a pass writes.
func syncedStatus() v1alpha1.ApplicationStatus {
	at := metav1.NewTime(time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC))
	source := v1alpha1.ApplicationSource{RepoURL: "https://git.example/apps.git", Path: "web", TargetRevision: "HEAD"}
	resources := []v1alpha1.ResourceStatus{
		{Version: "v1", Kind: "ConfigMap", Namespace: "web", Name: "settings", Status: v1alpha1.SyncStatusCodeSynced},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "web", Status: v1alpha1.SyncStatusCodeSynced,
			Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}},
	}
	return v1alpha1.ApplicationStatus{
		Resources: resources,
		Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: "0123456789abcdef0123456789abcdef01234567",
			ComparedTo: v1alpha1.ComparedTo{Source: source, Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "web"}}},
		Health:       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy, LastTransitionTime: &at},
		History:      v1alpha1.RevisionHistories{{ID: 0, Revision: "0123456789abcdef0123456789abcdef01234567", DeployedAt: at, Source: source}},
		Conditions:   []v1alpha1.ApplicationCondition{{Type: "SyncError", Message: "a hook failed", LastTransitionTime: &at}},
		ReconciledAt: &at,
		OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded, Message: "successfully synced", StartedAt: at, FinishedAt: &at,
			Operation:  v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "0123456789abcdef0123456789abcdef01234567", Prune: true}},
			SyncResult: &v1alpha1.SyncOperationResult{Revision: "0123456789abcdef0123456789abcdef01234567", Source: source}},
		SourceType: v1alpha1.ApplicationSourceTypeDirectory,
		Summary:    v1alpha1.ApplicationSummary{Images: []string{"registry.example/web:1.0"}},
	}
}

func TestStatusPatchTurnsOneStatusIntoTheOther(t *testing.T) {
	later := metav1.NewTime(time.Date(2026, 12, 6, 9, 5, 0, 0, time.UTC))
	cases := map[string]struct {
		from, to func() v1alpha1.ApplicationStatus
		// absent are the fields of the status the patch must not carry.
		absent []string
	}{
		"a new Application synced": {from: func() v1alpha1.ApplicationStatus { return v1alpha1.ApplicationStatus{} }, to: syncedStatus},
		"the health alone moved": {from: syncedStatus, to: func() v1alpha1.ApplicationStatus {
			s := syncedStatus()
			s.Health = v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusDegraded, LastTransitionTime: &later}
			return s
		}, absent: []string{"resources", "history", "operationState", "sync", "summary"}},
		"a nested field gone, a condition cleared, the operation dropped": {from: syncedStatus, to: func() v1alpha1.ApplicationStatus {
			s := syncedStatus()
			s.Sync.ComparedTo.Destination.Namespace = ""
			s.Conditions = nil
			s.OperationState = nil
			s.ReconciledAt = &later
			return s
		}, absent: []string{"resources", "history", "health"}},
		"everything gone": {from: syncedStatus, to: func() v1alpha1.ApplicationStatus { return v1alpha1.ApplicationStatus{} }},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			from, to := c.from(), c.to()
			patch, err := statusPatch(&from, &to)
			if err != nil {
				t.Fatal(err)
			}
			var fields map[string]map[string]json.RawMessage
			if err := json.Unmarshal(patch, &fields); err != nil || len(fields) != 1 || fields["status"] == nil {
				t.Fatalf("patch %s: want an object with status alone (%v)", patch, err)
			}
			for _, f := range c.absent {
				if _, ok := fields["status"][f]; ok {
					t.Errorf("patch %s carries %s, which did not change", patch, f)
				}
			}
			// The patch applied to the stored Application, as the API
			// server applies it, gives the status written and keeps the rest.
			stored := v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: "argocd"},
				Spec: v1alpha1.ApplicationSpec{Project: "default"}, Status: from}
			doc, err := json.Marshal(stored)
			if err != nil {
				t.Fatal(err)
			}
			merged, err := jsonpatch.MergePatch(doc, patch)
			if err != nil {
				t.Fatal(err)
			}
			var got v1alpha1.Application
			if err := json.Unmarshal(merged, &got); err != nil {
				t.Fatal(err)
			}
			gotStatus, _ := json.Marshal(got.Status)
			wantStatus, _ := json.Marshal(to)
			if string(gotStatus) != string(wantStatus) {
				t.Errorf("status after the patch:\n%s\nwant\n%s", gotStatus, wantStatus)
			}
			if got.Name != "web" || got.Spec.Project != "default" || strings.Contains(string(patch), `"spec"`) {
				t.Errorf("the patch %s changed more than the status: %+v", patch, got.ObjectMeta)
			}
		})
	}
}
