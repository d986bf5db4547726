package v1alpha1

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

func TestAddToSchemeRegistersKinds(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := AddToScheme(scheme); err != nil {
		t.Fatalf("AddToScheme: %v", err)
	}
	for kind, obj := range map[string]runtime.Object{
		"Application":        &Application{},
		"ApplicationList":    &ApplicationList{},
		"AppProject":         &AppProject{},
		"AppProjectList":     &AppProjectList{},
		"ApplicationSet":     &ApplicationSet{},
		"ApplicationSetList": &ApplicationSetList{},
	} {
		gvks, _, err := scheme.ObjectKinds(obj)
		if err != nil {
			t.Errorf("ObjectKinds(%s): %v", kind, err)
			continue
		}
		if want := GroupVersion.WithKind(kind); len(gvks) != 1 || gvks[0] != want {
			t.Errorf("ObjectKinds(%s) = %v, want [%v]", kind, gvks, want)
		}
	}
}
