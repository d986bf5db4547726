package application

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestFailOnSharedResource has a second Application render an object the
// first one owns, with FailOnSharedResource=true: its sync fails naming the
// object, and applies nothing, neither the shared object nor its own.
// (Without the option the object is left alone: TestSharedResourceIsLeftAlone.)
func TestFailOnSharedResource(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	owner := gitserver.NewRepo(t, t.TempDir(), "owner")
	owner.Commit(t, "main", map[string]string{"guestbook/shared.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  owner: first\n"}, "owner")
	owner.SetHead(t, "main")
	strict := gitserver.NewRepo(t, t.TempDir(), "strict")
	strict.Commit(t, "main", map[string]string{
		"guestbook/shared.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  owner: second\n",
		"guestbook/own.yaml":    configMapYAML("strict-own", nil),
	}, "strict")
	strict.SetHead(t, "main")

	if err := cl.Create(context.Background(), seedApp("fosr-owner", owner.URL(), "fosr")); err != nil {
		t.Fatal(err)
	}
	waitSynced(t, cl, "fosr-owner", owner.RevParse(t, "main"))

	app := seedApp("fosr-strict", strict.URL(), "fosr")
	app.Spec.SyncPolicy.SyncOptions = append(app.Spec.SyncPolicy.SyncOptions, "FailOnSharedResource=true")
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	var op *v1alpha1.OperationState
	waitFor(t, "the sync to end", func(ctx context.Context) (bool, error) {
		op = appStatus(t, cl, app.Name).Status.OperationState
		return op != nil && op.FinishedAt != nil, nil
	})
	if op.Phase != v1alpha1.OperationFailed || !strings.Contains(op.Message, "ConfigMap fosr/shared") {
		t.Errorf("sync with a shared object and FailOnSharedResource=true: %s %q, want Failed naming ConfigMap fosr/shared", op.Phase, op.Message)
	}
	cm, err := cs.CoreV1().ConfigMaps("fosr").Get(context.Background(), "shared", metav1.GetOptions{})
	if err != nil || cm.Data["owner"] != "first" || cm.Annotations[v1alpha1.AnnotationTrackingID] != "fosr-owner:/ConfigMap:fosr/shared" {
		t.Errorf("the failed sync changed the first app's ConfigMap: %v %v, %v", cm.Data, cm.Annotations, err)
	}
	if _, err := cs.CoreV1().ConfigMaps("fosr").Get(context.Background(), "strict-own", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the failed sync applied the Application's own ConfigMap (err %v)", err)
	}
	if a := appStatus(t, cl, app.Name); !hasCondition(a, v1alpha1.ApplicationConditionSyncError, "ConfigMap fosr/shared") {
		t.Errorf("no SyncError condition naming the shared object: %+v", a.Status.Conditions)
	}
}
