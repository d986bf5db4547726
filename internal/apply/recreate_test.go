package apply

import (
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// A forced re-creation of an object a finalizer holds gives up after
// RecreateWait with an error naming the object, rather than hold the
// worker until the finalizer goes (which may be never).
func TestForceGivesUpOnAnObjectThatDoesNotGo(t *testing.T) {
	ctx, a, cs := setup(t, "apply-force-held")
	const held = `
apiVersion: v1
kind: ConfigMap
metadata: {name: held, namespace: apply-force-held, finalizers: [capstan.dev/test-hold]}
immutable: true
data: {color: %s}`
	if _, err := a.Apply(ctx, parse(t, strings.Replace(held, "%s", "blue", 1)), Options{Validate: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		patch := []byte(`{"metadata":{"finalizers":null}}`)
		_, _ = cs.CoreV1().ConfigMaps("apply-force-held").Patch(t.Context(), "held", types.MergePatchType, patch, metav1.PatchOptions{})
	})
	defer func(d time.Duration) { RecreateWait = d }(RecreateWait)
	RecreateWait = time.Second
	_, err := a.Apply(ctx, parse(t, strings.Replace(held, "%s", "green", 1)), Options{Validate: true, Force: true})
	if !errors.Is(err, ErrStillDeleting) || !strings.Contains(err.Error(), "ConfigMap apply-force-held/held") {
		t.Fatalf("Force on an object a finalizer holds: err = %v; want ErrStillDeleting naming the ConfigMap", err)
	}
	if ctx.Err() != nil {
		t.Fatal("the apply waited until the test's own deadline")
	}
}
