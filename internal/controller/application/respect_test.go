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

// RespectIgnoreDifferences=true is refused, naming the object, rather than
// applied as if it were not there: that would overwrite the fields the
// user asked to keep.
func TestRespectIgnoreDifferencesIsRefused(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "respect")
	repo.Commit(t, "main", map[string]string{"guestbook/settings.yaml": configMapYAML("settings", nil)}, "settings")
	repo.SetHead(t, "main")
	app := seedApp("respect", repo.URL(), "respect")
	app.Spec.SyncPolicy.SyncOptions = append(app.Spec.SyncPolicy.SyncOptions, "RespectIgnoreDifferences=true")
	app.Spec.IgnoreDifferences = []v1alpha1.ResourceIgnoreDifferences{{Kind: "ConfigMap", JSONPointers: []string{"/data"}}}
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the refused sync", func(ctx context.Context) (bool, error) {
		op := appStatus(t, cl, "respect").Status.OperationState
		return op != nil && op.Phase == v1alpha1.OperationFailed, nil
	})
	op := appStatus(t, cl, "respect").Status.OperationState
	if !strings.Contains(op.Message, "RespectIgnoreDifferences") || !strings.Contains(op.Message, "ConfigMap respect/settings") {
		t.Errorf("the refusal does not name the option and the object: %q", op.Message)
	}
	if _, err := cs.CoreV1().ConfigMaps("respect").Get(context.Background(), "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the ConfigMap was applied: %v", err)
	}
}
