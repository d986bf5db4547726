package application

import (
	"context"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// The refresh annotation goes in a write after the refreshed status: who
// waits for it to go, as the API's GET with ?refresh does, finds the
// status of the refresh in the same event, not the one before it.
func TestRefreshAnnotationGoesAfterTheStatus(t *testing.T) {
	cl, _ := startConfiguredController(t, func(*Reconciler) {})
	repo := gitserver.NewRepo(t, t.TempDir(), "order")
	repo.Commit(t, "main", map[string]string{"guestbook/cm.yaml": configMapYAML("order", nil)}, "cm")
	repo.SetHead(t, "main")
	const name = "refresh-order"
	if err := cl.Create(context.Background(), seedApp(name, repo.URL(), name)); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, name, repo.RevParse(t, "main"))
	last := appStatus(t, cl, name).Status.ReconciledAt
	// reconciledAt counts seconds: the refresh's must fall in a later one.
	waitFor(t, "a new second", func(context.Context) (bool, error) {
		return last == nil || time.Now().Truncate(time.Second).After(last.Time), nil
	})

	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	direct, err := client.NewWithWatch(env.Config(), client.Options{Scheme: cl.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	app := &v1alpha1.Application{}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		if err := direct.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: name}, app); err != nil {
			return err
		}
		if app.Annotations == nil {
			app.Annotations = map[string]string{}
		}
		app.Annotations[v1alpha1.AnnotationRefresh] = v1alpha1.RefreshTypeNormal
		return direct.Update(ctx, app)
	})
	if err != nil {
		t.Fatal(err)
	}
	w, err := direct.Watch(ctx, &v1alpha1.ApplicationList{}, client.InNamespace(controlPlane), &client.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("metadata.name", name),
		Raw:           &metav1.ListOptions{ResourceVersion: app.ResourceVersion},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	for ev := range w.ResultChan() {
		got, ok := ev.Object.(*v1alpha1.Application)
		if !ok {
			t.Fatalf("watch event %s: %T", ev.Type, ev.Object)
		}
		if _, pending := got.Annotations[v1alpha1.AnnotationRefresh]; pending {
			continue
		}
		if at := got.Status.ReconciledAt; at == nil || last != nil && !at.After(last.Time) {
			t.Errorf("the refresh annotation went at version %s with reconciledAt %v, the status before the refresh (%v)", got.ResourceVersion, at, last)
		}
		return
	}
	t.Fatalf("the refresh annotation did not go: %v", ctx.Err())
}
