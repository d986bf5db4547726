package cli

import (
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// countingMapper is an in-memory mapper that counts the questions it is
// asked.
type countingMapper struct {
	*meta.DefaultRESTMapper
	asked int
}

func (c *countingMapper) RESTMapping(gk schema.GroupKind, versions ...string) (*meta.RESTMapping, error) {
	c.asked++
	return c.DefaultRESTMapper.RESTMapping(gk, versions...)
}

// The mapping of a kind of the scheme is asked once; a kind outside it,
// which a CRD may change, and a kind not found yet are asked every time.
func TestKeptMappingsKeepTheSchemesKinds(t *testing.T) {
	scheme, err := newScheme()
	if err != nil {
		t.Fatal(err)
	}
	app := v1alpha1.GroupVersion.WithKind("Application")
	widget := schema.GroupVersionKind{Group: "example.com", Version: "v1", Kind: "Widget"}
	inner := &countingMapper{DefaultRESTMapper: meta.NewDefaultRESTMapper(nil)}
	inner.Add(widget, meta.RESTScopeNamespace)
	k := &keptMappings{RESTMapper: inner, scheme: scheme}

	ask := func(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
		return k.RESTMapping(gvk.GroupKind(), gvk.Version)
	}
	// Not known yet: the error is not kept.
	if _, err := ask(app); !meta.IsNoMatchError(err) {
		t.Fatalf("an unknown kind: %v", err)
	}
	inner.Add(app, meta.RESTScopeNamespace)
	inner.asked = 0
	for range 3 {
		m, err := ask(app)
		if err != nil || m.Resource.Resource != "applications" || m.Scope.Name() != meta.RESTScopeNameNamespace {
			t.Fatalf("Application: %v, %v", m, err)
		}
	}
	if inner.asked != 1 {
		t.Errorf("a kind of the scheme was asked %d times, want 1", inner.asked)
	}
	inner.asked = 0
	for range 3 {
		if _, err := ask(widget); err != nil {
			t.Fatal(err)
		}
	}
	if inner.asked != 3 {
		t.Errorf("a kind outside the scheme was asked %d times, want 3", inner.asked)
	}
	// A question for several versions goes to the mapper as it is.
	inner.asked = 0
	if _, err := k.RESTMapping(app.GroupKind(), "v1", app.Version); err != nil || inner.asked != 1 {
		t.Errorf("several versions: asked %d times, %v", inner.asked, err)
	}
}
