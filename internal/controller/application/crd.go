package application

import (
	"context"
	"time"

	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/capstan-cd/capstan/internal/sync"
)

// dryRunSkips reports whether a dry-run sync passes over obj, whose dry
// run failed with err: its kind is unknown to the destination, and either
// its CustomResourceDefinition is among the objects the sync applies (the
// real sync creates it first) or the object's options say
// SkipDryRunOnMissingResource=true (something else, an operator, installs
// it).
func dryRunSkips(obj *unstructured.Unstructured, opts sync.Options, err error, desired []*unstructured.Unstructured) bool {
	if !apimeta.IsNoMatchError(err) {
		return false
	}
	return opts.SkipDryRunOnMissingResource || crdInSync(obj, desired)
}

// crdInSync reports whether the CustomResourceDefinition of obj's kind is
// among desired.
func crdInSync(obj *unstructured.Unstructured, desired []*unstructured.Unstructured) bool {
	gk := obj.GroupVersionKind().GroupKind()
	for _, d := range desired {
		if d.GetKind() != "CustomResourceDefinition" || d.GroupVersionKind().Group != "apiextensions.k8s.io" {
			continue
		}
		group, _, _ := unstructured.NestedString(d.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(d.Object, "spec", "names", "kind")
		if group == gk.Group && kind == gk.Kind {
			return true
		}
	}
	return false
}

// kindWait bounds how long an apply waits for the API server to serve a
// kind whose CRD the sync applied moments before (it is being
// established, which takes well under a second).
const kindWait = 5 * time.Second

// awaitKind waits, at most kindWait, until the destination serves obj's
// kind, and reports whether it does.
func (st *state) awaitKind(ctx context.Context, obj *unstructured.Unstructured) bool {
	ctx, cancel := context.WithTimeout(ctx, kindWait)
	defer cancel()
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, false, func(context.Context) (bool, error) {
		_, err := st.target.applier.Mapping(obj.GroupVersionKind())
		return err == nil, nil
	})
	return err == nil
}
