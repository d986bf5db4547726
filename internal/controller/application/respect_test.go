package application

import (
	"context"
	"testing"

	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// With RespectIgnoreDifferences=true a sync applies the ignored fields'
// live values: replicas an autoscaler set through the scale subresource
// survive a commit that changes the image. Without it, the sync sets the
// replicas Git holds.
func TestRespectIgnoreDifferencesKeepsLiveValues(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "respect")
	first := repo.Commit(t, "main", map[string]string{"guestbook/web.yaml": deploymentYAML("web", "registry.invalid/web:1", 1)}, "web 1")
	repo.SetHead(t, "main")
	for name, options := range map[string][]string{"respect-on": {"RespectIgnoreDifferences=true"}, "respect-off": nil} {
		app := seedApp(name, repo.URL(), name)
		app.Spec.SyncPolicy.SyncOptions = append(app.Spec.SyncPolicy.SyncOptions, options...)
		app.Spec.IgnoreDifferences = []v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", JSONPointers: []string{"/spec/replicas"}}}
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"respect-on", "respect-off"} {
		waitSynced(t, cl, name, first)
		scale := &autoscalingv1.Scale{ObjectMeta: metav1.ObjectMeta{Name: "web", Namespace: name}, Spec: autoscalingv1.ScaleSpec{Replicas: 3}}
		if _, err := cs.AppsV1().Deployments(name).UpdateScale(ctx, "web", scale, metav1.UpdateOptions{FieldManager: "autoscaler"}); err != nil {
			t.Fatal(err)
		}
	}
	second := repo.Commit(t, "main", map[string]string{"guestbook/web.yaml": deploymentYAML("web", "registry.invalid/web:2", 1)}, "web 2")
	for name, want := range map[string]int32{"respect-on": 3, "respect-off": 1} {
		waitFor(t, name+" to apply the new image", func(ctx context.Context) (bool, error) {
			d, err := cs.AppsV1().Deployments(name).Get(ctx, "web", metav1.GetOptions{})
			return err == nil && d.Spec.Template.Spec.Containers[0].Image == "registry.invalid/web:2", err
		})
		waitSynced(t, cl, name, second)
		d, err := cs.AppsV1().Deployments(name).Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if got := *d.Spec.Replicas; got != want {
			t.Errorf("%s: %d replicas after the sync, want %d", name, got, want)
		}
	}
}
