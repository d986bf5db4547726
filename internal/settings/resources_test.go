package settings

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResourcesExcluded(t *testing.T) {
	const inCluster, remote = "https://kubernetes.default.svc", "https://10.0.0.7:6443"
	tests := []struct {
		name                   string
		exclusions, inclusions string
		// want lists, for each probe, whether it is excluded.
		want map[string]bool
	}{
		{name: "nothing set", want: map[string]bool{"/ConfigMap " + inCluster: false, "cilium.io/CiliumIdentity " + remote: false}},
		{name: "an exclusion by group and kind on every cluster",
			exclusions: "- apiGroups: [cilium.io]\n  kinds: [CiliumIdentity]\n  clusters: ['*']\n",
			want:       map[string]bool{"cilium.io/CiliumIdentity " + remote: true, "cilium.io/CiliumEndpoint " + remote: false, "/ConfigMap " + remote: false}},
		{name: "empty lists match anything, globs match across dots and slashes",
			exclusions: "- apiGroups: ['*.k8s.io']\n",
			want:       map[string]bool{"metrics.k8s.io/PodMetrics " + inCluster: true, "apps/Deployment " + inCluster: false}},
		{name: "an exclusion for one cluster",
			exclusions: "- kinds: [Secret]\n  clusters: ['https://10.0.0.*']\n",
			want:       map[string]bool{"/Secret " + remote: true, "/Secret " + inCluster: false}},
		{name: "inclusions leave out all else",
			inclusions: "- apiGroups: ['', apps]\n  kinds: ['*']\n",
			want:       map[string]bool{"/ConfigMap " + inCluster: false, "apps/Deployment " + inCluster: false, "batch/Job " + inCluster: true}},
		{name: "an exclusion wins over an inclusion",
			inclusions: "- apiGroups: ['']\n", exclusions: "- kinds: [Secret]\n",
			want: map[string]bool{"/ConfigMap " + inCluster: false, "/Secret " + inCluster: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Parse(Data{ConfigMap: {"resource.exclusions": tt.exclusions, "resource.inclusions": tt.inclusions}})
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for probe := range tt.want {
				gk, server, _ := strings.Cut(probe, " ")
				group, kind, _ := strings.Cut(gk, "/")
				got[probe] = s.Resources.Excluded(group, kind, server)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("excluded (-want +got):\n%s", diff)
			}
		})
	}
}
