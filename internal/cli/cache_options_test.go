package cli

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The cache keeps every field of an Application that the API serves,
// without managed fields, and Applications share their repeated strings.
func TestSlimCachedKeepsApplications(t *testing.T) {
	app := func(name string) *v1alpha1.Application {
		c := strings.Clone
		a := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: c("argocd"),
			ResourceVersion: "4711-" + name, UID: types.UID("uid-" + name),
			ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "capstan"}}}}
		a.Spec.Source = &v1alpha1.ApplicationSource{RepoURL: c("https://git.example/shop.git"), Path: "apps/" + name}
		a.Spec.Destination = v1alpha1.ApplicationDestination{Server: c("https://kubernetes.default.svc"), Namespace: c(name)}
		a.Status.Resources = []v1alpha1.ResourceStatus{{Kind: c("Deployment"), Name: "web", Namespace: name, Status: v1alpha1.SyncStatusCodeSynced,
			Health: &v1alpha1.HealthStatus{Status: "Healthy", Message: c("ready")}, OwnedFields: "digest-" + name}}
		a.Status.Sync.ComparedTo.Source = *a.Spec.Source.DeepCopy()
		return a
	}
	transform := slimCached(cache.TransformStripManagedFields())
	a, b := app("shop"), app("shop-2")
	want := a.DeepCopy()
	want.ManagedFields = nil
	gotA, err := transform(a)
	if err != nil {
		t.Fatal(err)
	}
	gotB, _ := transform(b)
	if diff := cmp.Diff(want, gotA); diff != "" {
		t.Errorf("the cached Application differs (-want +got):\n%s", diff)
	}
	x, y := gotA.(*v1alpha1.Application), gotB.(*v1alpha1.Application)
	for _, pair := range [][2]string{
		{x.Spec.Source.RepoURL, y.Status.Sync.ComparedTo.Source.RepoURL},
		{x.Status.Resources[0].Health.Message, y.Status.Resources[0].Health.Message},
		{x.Namespace, y.Namespace},
		{x.Status.Resources[0].Namespace, x.Spec.Destination.Namespace},
	} {
		if unsafe.StringData(pair[0]) != unsafe.StringData(pair[1]) {
			t.Errorf("%q is held twice", pair[0])
		}
	}
	// What no other Application has stays out of the shared strings: the
	// table returns a copy of its own for it, not the cached one.
	for _, s := range []string{x.ResourceVersion, string(x.UID), x.Status.Resources[0].OwnedFields} {
		if unsafe.StringData(applicationStrings.String(strings.Clone(s))) == unsafe.StringData(s) {
			t.Errorf("%q, which no other Application has, is among the shared strings", s)
		}
	}
	// Other kinds pass through.
	cm := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	if got, err := transform(cm); err != nil || got != cm {
		t.Errorf("transform(%T) = %v, %v", cm, got, err)
	}
}
