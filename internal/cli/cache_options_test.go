package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// The cache holds Applications packed and without managed fields, and
// gives back every field the API serves.
func TestCacheOptionsPackApplications(t *testing.T) {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "argocd",
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "capstan"}}}}
	app.Spec.Source = &v1alpha1.ApplicationSource{RepoURL: "https://git.example/shop.git", Path: "apps/shop"}
	app.Status.Resources = []v1alpha1.ResourceStatus{{Kind: "Deployment", Name: "web", Namespace: "shop", Status: v1alpha1.SyncStatusCodeSynced}}
	want := app.DeepCopy()
	want.ManagedFields = nil

	got, err := cacheOptions("argocd").DefaultTransform(app)
	if err != nil {
		t.Fatal(err)
	}
	packed, ok := got.(*appcache.Application)
	if !ok {
		t.Fatalf("the cache holds an Application as %T", got)
	}
	if diff := cmp.Diff(want, packed.DeepCopyObject()); diff != "" {
		t.Errorf("the cache's copy differs (-want +got):\n%s", diff)
	}
	cm := &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "x"}}
	if got, err := cacheOptions("argocd").DefaultTransform(cm); err != nil || got != cm {
		t.Errorf("transform(%T) = %v, %v", cm, got, err)
	}
}
