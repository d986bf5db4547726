package application

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// An Application with a custom resource whose CRD arrives after the
// Application was first reconciled converges without a commit: its render
// is not served from before the kind existed (when its namespace could not
// be defaulted), and it looks again without waiting for the next poll.
func TestCustomResourceConvergesOnceItsCRDArrives(t *testing.T) {
	cl := startController(t)
	dyn := dynamic.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "crd-later")
	repo.Commit(t, "main", map[string]string{"guestbook/gadget.yaml": "apiVersion: later.capstan.dev/v1\nkind: Gadget\nmetadata:\n  name: g\nsize: 3\n"}, "a Gadget")
	repo.SetHead(t, "main")
	app := seedApp("crd-later", repo.URL(), "crd-later")
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Application to be compared without the Gadget's kind", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "crd-later")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeOutOfSync && a.Status.OperationState != nil, nil
	})
	time.Sleep(2 * time.Second) // a few passes without the kind

	installCRD(t, "later.capstan.dev", "Gadget", "gadgets")
	var last *v1alpha1.Application
	gadgets := dyn.Resource(schema.GroupVersionResource{Group: "later.capstan.dev", Version: "v1", Resource: "gadgets"}).Namespace("crd-later")
	waitFor(t, "the Application to converge to Synced with its Gadget", func(ctx context.Context) (bool, error) {
		last = appStatus(t, cl, "crd-later")
		if last.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
			return false, nil
		}
		_, err := gadgets.Get(ctx, "g", metav1.GetOptions{})
		return err == nil, nil
	})
	for _, c := range last.Status.Conditions {
		if c.Type == v1alpha1.ApplicationConditionComparisonError {
			t.Errorf("condition left after converging: %s", c.Message)
		}
	}
}
