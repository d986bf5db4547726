package hostile

import (
	"context"
	"sync/atomic"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Item 7 of the issue: an operation's hooks run once, whatever
// revisionHistoryLimit says, and a negative limit is clamped rather than
// a panic.

func objectKey(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}

// countCreations counts, through a watch, the creations of the ConfigMap
// name in namespace from now until the test ends.
func countCreations(t *testing.T, namespace, name string) *atomic.Int64 {
	t.Helper()
	w, err := suite.cs.CoreV1().ConfigMaps(namespace).Watch(context.Background(), metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name).String(),
	})
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for ev := range w.ResultChan() {
			if ev.Type == watch.Added {
				n.Add(1)
			}
		}
	}()
	t.Cleanup(func() { w.Stop(); <-done })
	return &n
}

// A PreSync hook of an Application with revisionHistoryLimit -1 runs once:
// the sync succeeds, and while the canary syncs a commit afterwards the
// hook is not created again.
func TestHookRunsOnceWithNegativeHistoryLimit(t *testing.T) {
	a := newAttack(t, "hook-once")
	a.project(nil)
	created := countCreations(t, a.namespace(), "hook")
	r := newRepo(t, suite.public, "repo")
	r.commit(t, tree{files: map[string]string{
		"app/cm.yaml": configMap("main", "", nil),
		"app/hook.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: hook
  annotations:
    argocd.argoproj.io/hook: PreSync
    argocd.argoproj.io/hook-delete-policy: BeforeHookCreation
`,
	}})
	a.app("hook-once", directory(r.url), func(app *v1alpha1.Application) {
		app.Spec.RevisionHistoryLimit = ptr.To[int64](-1)
	})
	a.waitSynced("hook-once")
	a.survived()
	a.survived()
	if n := created.Load(); n != 1 {
		t.Errorf("the PreSync hook was created %d times, want once", n)
	}
	app, err := get(context.Background(), "hook-once")
	if err != nil {
		t.Fatal(err)
	}
	if op := app.Status.OperationState; op == nil || op.Phase != v1alpha1.OperationSucceeded {
		t.Errorf("the operation did not stay succeeded: %s", describe(app))
	}
}
