package sync

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func TestSortOrdersBySyncOrder(t *testing.T) {
	objs := []*unstructured.Unstructured{
		object("Widget", "b", "custom", nil),
		object("Deployment", "b", "web", nil),
		object("Job", "b", "smoke", map[string]string{"argocd.argoproj.io/hook": "PostSync"}),
		object("Service", "b", "web", nil),
		object("ConfigMap", "b", "late", map[string]string{"argocd.argoproj.io/sync-wave": "1"}),
		object("Job", "b", "migrate", map[string]string{"helm.sh/hook": "pre-upgrade"}),
		object("Deployment", "a", "web", nil),
		object("Namespace", "", "b", nil),
		object("ConfigMap", "b", "early", map[string]string{"argocd.argoproj.io/sync-wave": "-1"}),
		object("CustomResourceDefinition", "", "widgets.example.com", nil),
	}
	Sort(objs)
	var got []string
	for _, o := range objs {
		got = append(got, o.GetKind()+" "+o.GetNamespace()+"/"+o.GetName())
	}
	want := []string{
		"Job b/migrate",     // PreSync
		"ConfigMap b/early", // wave -1
		"Namespace /b",      // wave 0, kinds in Helm's order
		"CustomResourceDefinition /widgets.example.com",
		"Service b/web",
		"Deployment a/web", // same kind: by namespace
		"Deployment b/web",
		"Widget b/custom",  // unknown kinds last in the wave
		"ConfigMap b/late", // wave 1
		"Job b/smoke",      // PostSync
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sync order (-want +got):\n%s", diff)
	}
}

func TestKindRankPutsUnknownKindsLast(t *testing.T) {
	if KindRank("Namespace") >= KindRank("Deployment") {
		t.Error("Namespace does not come before Deployment")
	}
	if KindRank("Widget") <= KindRank("ValidatingWebhookConfiguration") {
		t.Error("an unknown kind does not come after every known kind")
	}
}
