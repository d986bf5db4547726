package application

import (
	"context"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

const configMapWithTypo = `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
colour: red
data:
  color: blue
`

func TestValidateOption(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{"guestbook/settings.yaml": configMapWithTypo}, "typo")
	repo.SetHead(t, "main")

	strict := seedApp("strict", repo.URL(), "strict") // the article's Validate=true
	if err := cl.Create(context.Background(), strict); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a failed sync naming the unknown field", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "strict"), v1alpha1.ApplicationConditionSyncError, "colour"), nil
	})
	if _, err := cs.CoreV1().ConfigMaps("strict").Get(context.Background(), "settings", metav1.GetOptions{}); err == nil {
		t.Error("Validate=true applied an object with an unknown field")
	}

	lenient := seedApp("lenient", repo.URL(), "lenient")
	lenient.Spec.SyncPolicy.SyncOptions = []string{"Validate=false", "CreateNamespace=true"}
	if err := cl.Create(context.Background(), lenient); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "Validate=false to apply the object", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps("lenient").Get(ctx, "settings", metav1.GetOptions{})
		return err == nil && cm.Data["color"] == "blue", nil
	})
}

func TestSharedResourceIsLeftAlone(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	first := gitserver.NewRepo(t, t.TempDir(), "first")
	first.Commit(t, "main", map[string]string{"guestbook/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  owner: first\n"}, "first")
	first.SetHead(t, "main")
	second := gitserver.NewRepo(t, t.TempDir(), "second")
	second.Commit(t, "main", map[string]string{"guestbook/settings.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared\ndata:\n  owner: second\n"}, "second")
	second.SetHead(t, "main")

	if err := cl.Create(context.Background(), seedApp("owner", first.URL(), "shared")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the first app to own the ConfigMap", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps("shared").Get(ctx, "shared", metav1.GetOptions{})
		return err == nil && cm.Data["owner"] == "first", nil
	})
	if err := cl.Create(context.Background(), seedApp("intruder", second.URL(), "shared")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a SharedResourceWarning on the second app", func(ctx context.Context) (bool, error) {
		return hasCondition(appStatus(t, cl, "intruder"), v1alpha1.ApplicationConditionSharedResourceWarning, "ConfigMap shared/shared"), nil
	})
	cm, err := cs.CoreV1().ConfigMaps("shared").Get(context.Background(), "shared", metav1.GetOptions{})
	if err != nil || cm.Data["owner"] != "first" || cm.Annotations[v1alpha1.AnnotationTrackingID] != "owner:/ConfigMap:shared/shared" {
		t.Errorf("the second app changed the first's ConfigMap: %v %v, %v", cm.Data, cm.Annotations, err)
	}
}
