package application

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/localkube"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestSecondCluster registers a second control plane through a cluster
// Secret, as Argo CD users do, and deploys to it by name and by server;
// a destination with both is refused.
func TestSecondCluster(t *testing.T) {
	ctx := context.Background()
	began := time.Now()
	second, err := localkube.Up(ctx, localkube.Options{BinDir: filepath.Join(env.Root, "bin"), Dir: t.TempDir(), KillWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Down() })
	t.Logf("second control plane ready after %s", time.Since(began).Round(100*time.Millisecond))
	far := second.Config()
	farCS := kubernetes.NewForConfigOrDie(far)
	nearCS := kubernetes.NewForConfigOrDie(env.Config())

	cl := startController(t)
	config, err := json.Marshal(map[string]any{
		"bearerToken":     far.BearerToken,
		"tlsClientConfig": map[string]any{"caData": base64.StdEncoding.EncodeToString(far.CAData)},
	})
	if err != nil {
		t.Fatal(err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "cluster-far", Namespace: controlPlane,
			Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}},
		StringData: map[string]string{"name": "far", "server": far.Host, "config": string(config)},
	}
	if err := cl.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Delete(context.Background(), secret) })

	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/deployment.yaml": deploymentYAML("far-web", "registry.invalid/web:1", 1),
		"guestbook/settings.yaml":   configMapYAML("far-settings", nil),
	}, "far")
	repo.SetHead(t, "main")
	rev := repo.RevParse(t, "main")

	byName := seedApp("far-by-name", repo.URL(), "far-a")
	byName.Spec.Destination = v1alpha1.ApplicationDestination{Name: "far", Namespace: "far-a"}
	byServer := seedApp("far-by-server", repo.URL(), "far-b")
	byServer.Spec.Destination = v1alpha1.ApplicationDestination{Server: far.Host, Namespace: "far-b"}
	both := seedApp("far-by-both", repo.URL(), "far-c")
	both.Spec.Destination = v1alpha1.ApplicationDestination{Server: far.Host, Name: "far", Namespace: "far-c"}
	for _, app := range []*v1alpha1.Application{byName, byServer, both} {
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
		// The second cluster goes when the test ends: so do its Applications.
		t.Cleanup(func() { _ = cl.Delete(context.Background(), app) })
	}

	for _, app := range []*v1alpha1.Application{byName, byServer} {
		t.Run(app.Name, func(t *testing.T) {
			ns := app.Spec.Destination.Namespace
			waitSynced(t, cl, app.Name, rev)
			if _, err := farCS.AppsV1().Deployments(ns).Get(ctx, "far-web", metav1.GetOptions{}); err != nil {
				t.Errorf("the Deployment is not in the second cluster: %v", err)
			}
			if _, err := farCS.CoreV1().ConfigMaps(ns).Get(ctx, "far-settings", metav1.GetOptions{}); err != nil {
				t.Errorf("the ConfigMap is not in the second cluster: %v", err)
			}
			if _, err := nearCS.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("namespace %s exists in capstan's own cluster (err %v)", ns, err)
			}
			// Drift in the second cluster is seen through its watch.
			if _, err := farCS.CoreV1().ConfigMaps(ns).Patch(ctx, "far-settings", "application/merge-patch+json",
				[]byte(`{"data":{"name":"edited"}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, "the edit in the second cluster to be healed", func(ctx context.Context) (bool, error) {
				cm, err := farCS.CoreV1().ConfigMaps(ns).Get(ctx, "far-settings", metav1.GetOptions{})
				return err == nil && cm.Data["name"] == "far-settings", nil
			})
		})
	}

	t.Run("server and name", func(t *testing.T) {
		waitFor(t, "an InvalidSpecError", func(ctx context.Context) (bool, error) {
			return hasCondition(appStatus(t, cl, both.Name), v1alpha1.ApplicationConditionInvalidSpecError, "both"), nil
		})
		for cluster, cs := range map[string]kubernetes.Interface{"second": farCS, "own": nearCS} {
			if _, err := cs.CoreV1().Namespaces().Get(ctx, "far-c", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("a destination with both server and name was deployed to the %s cluster (err %v)", cluster, err)
			}
		}
	})
}
