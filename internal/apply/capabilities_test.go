package apply

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestAPIVersions(t *testing.T) {
	tests := []struct {
		name  string
		lists []*metav1.APIResourceList
		want  []string
	}{
		{"none", nil, nil},
		{
			"core and groups, subresources once",
			[]*metav1.APIResourceList{
				{GroupVersion: "v1", APIResources: []metav1.APIResource{{Name: "pods", Kind: "Pod"}, {Name: "pods/status", Kind: "Pod"}}},
				{GroupVersion: "apps/v1", APIResources: []metav1.APIResource{{Name: "deployments", Kind: "Deployment"}}},
				nil,
			},
			[]string{"apps/v1", "apps/v1/Deployment", "v1", "v1/Pod"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, apiVersions(tt.lists)); diff != "" {
				t.Errorf("apiVersions (-want +got):\n%s", diff)
			}
		})
	}
}
