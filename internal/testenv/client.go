package testenv

import (
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Client returns an uncached admin client of the cluster that knows the
// built-in kinds and capstan's.
func (e *Env) Client(t testing.TB) client.Client {
	t.Helper()
	cl, err := client.New(e.Config(), client.Options{Scheme: Scheme(t)})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// Scheme knows the built-in kinds and capstan's.
func Scheme(t testing.TB) *runtime.Scheme {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return scheme
}
