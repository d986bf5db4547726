package diff

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// TestDryRunPredictionShowsOnlyRealDrift compares the API server's own
// prediction of an apply with the live object: the defaults it fills in are
// not drift, an edit by another client is.
func TestDryRunPredictionShowsOnlyRealDrift(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	a, err := apply.New(env.Config())
	if err != nil {
		t.Fatal(err)
	}
	if err := a.EnsureNamespace(ctx, "demo", nil, nil, false); err != nil {
		t.Fatal(err)
	}
	desired := parse(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: demo}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "registry.invalid/web:1"}]}`)
	if _, err := a.Apply(ctx, desired, apply.Options{Validate: true}); err != nil {
		t.Fatal(err)
	}
	cs := kubernetes.NewForConfigOrDie(env.Config())
	compare := func() Result {
		t.Helper()
		predicted, err := a.Apply(ctx, desired, apply.Options{DryRun: true, Validate: true})
		if err != nil {
			t.Fatal(err)
		}
		live, err := a.Get(ctx, desired)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Compare(t.Context(), predicted, live, nil)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got := compare(); got.Modified {
		t.Fatalf("a freshly applied Deployment differs from its prediction at %v", got.Paths)
	}
	patch := []byte(`{"spec":{"replicas":5}}`)
	if _, err := cs.AppsV1().Deployments("demo").Patch(ctx, "web", types.MergePatchType, patch, metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{".spec.replicas"}, compare().Paths); diff != "" {
		t.Errorf("drift after another client scaled the Deployment (-want +got):\n%s", diff)
	}
}
