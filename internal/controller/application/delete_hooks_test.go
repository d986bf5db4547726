package application

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

func hookObject(name, generateName, hook string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("batch/v1")
	u.SetKind("Job")
	u.SetNamespace("web")
	u.SetName(name)
	u.SetGenerateName(generateName)
	if hook != "" {
		u.SetAnnotations(map[string]string{v1alpha1.AnnotationHook: hook})
	}
	return u
}

// A delete hook's name is its own, or one made from its generateName and
// the Application's uid: the same at every pass of one deletion, another
// for another Application of the same name.
func TestDeleteRunNames(t *testing.T) {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "guestbook", UID: "uid-1"}}
	again := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "guestbook", UID: "uid-2"}}
	generated := hookObject("", "backup-", "PreDelete")
	first := deleteRun(generated, app, tracking.Policy{Method: tracking.MethodAnnotation})
	if first.GetName() == "" || first.GetName()[:len("backup-")] != "backup-" || len(first.GetName()) != len("backup-")+5 || first.GetGenerateName() != "" {
		t.Errorf("name %q, generateName %q; want backup- and five characters, and no generateName", first.GetName(), first.GetGenerateName())
	}
	if second := deleteRun(generated, app, tracking.Policy{Method: tracking.MethodAnnotation}); second.GetName() != first.GetName() {
		t.Errorf("a second pass names the hook %q, the first %q", second.GetName(), first.GetName())
	}
	if other := deleteRun(generated, again, tracking.Policy{Method: tracking.MethodAnnotation}); other.GetName() == first.GetName() {
		t.Errorf("two Applications' deletions share the hook name %q", other.GetName())
	}
	named := deleteRun(hookObject("cleanup", "", "PostDelete"), app, tracking.Policy{Method: tracking.MethodAnnotation})
	want := map[string]string{
		v1alpha1.AnnotationHook:       "PostDelete",
		annotationDeleteRun:           "uid-1",
		v1alpha1.AnnotationTrackingID: "guestbook:batch/Job:web/cleanup",
	}
	if diff := cmp.Diff(want, named.GetAnnotations()); named.GetName() != "cleanup" || diff != "" {
		t.Errorf("name %q, annotations (-want +got):\n%s", named.GetName(), diff)
	}
	if generated.GetName() != "" || generated.GetAnnotations()[annotationDeleteRun] != "" {
		t.Error("deleteRun changed the rendered hook")
	}
}

func TestDeleteHooksOfPhase(t *testing.T) {
	desired := []*unstructured.Unstructured{
		hookObject("pre", "", "PreDelete"),
		hookObject("post", "", "PostDelete"),
		hookObject("both", "", "PreDelete,PostDelete"),
		hookObject("sync", "", "PreSync"),
		hookObject("plain", "", ""),
		hookObject("skipped", "", "Skip"),
	}
	names := func(objs []*unstructured.Unstructured) []string {
		var out []string
		for _, o := range objs {
			out = append(out, o.GetName())
		}
		return out
	}
	for _, tt := range []struct {
		phase sync.Phase
		want  []string
	}{
		{sync.PhasePreDelete, []string{"pre", "both"}},
		{sync.PhasePostDelete, []string{"post", "both"}},
	} {
		if diff := cmp.Diff(tt.want, names(deleteHooks(desired, tt.phase))); diff != "" {
			t.Errorf("phase %d (-want +got):\n%s", tt.phase, diff)
		}
	}
}
