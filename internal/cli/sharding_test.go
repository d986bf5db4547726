package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/localkube"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestShardsDivideClustersAndFailOver runs three `capstan run` replicas
// over two clusters divided in two shards (round-robin, from
// argocd-cmd-params-cm): replica a has shard 0, b and c shard 1, where one
// leads and the other stands by. Each cluster's Application is reconciled
// by exactly one replica. Then shard 1's leader is killed, a commit is
// pushed and announced by webhook to replica a (shard 0): the standby
// takes shard 1 over and syncs the commit. Last, the cluster Secret's shard
// key moves the second cluster to shard 0, whose replica takes its
// Application.
func TestShardsDivideClustersAndFailOver(t *testing.T) {
	const namespace = "capstan-shards"
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	second, err := localkube.Up(ctx, localkube.Options{BinDir: filepath.Join(env.Root, "bin"), Dir: t.TempDir(), KillWithParent: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = second.Down() })
	far := second.Config()
	farConfig, err := json.Marshal(map[string]any{
		"bearerToken":     far.BearerToken,
		"tlsClientConfig": map[string]any{"caData": base64.StdEncoding.EncodeToString(far.CAData)},
	})
	if err != nil {
		t.Fatal(err)
	}
	cl := clusterClient(t)
	clients := map[string]kubernetes.Interface{"near": kubernetes.NewForConfigOrDie(env.Config()), "far": kubernetes.NewForConfigOrDie(far)}

	configMap := func(name, color string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: " + name + "\ndata:\n  color: " + color + "\n"
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", map[string]string{"near/cm.yaml": configMap("near", "blue"), "far/cm.yaml": configMap("far", "blue")}, "two apps")
	repo.SetHead(t, "main")
	app := func(name string, dest v1alpha1.ApplicationDestination) *v1alpha1.Application {
		return &v1alpha1.Application{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace},
			Spec: v1alpha1.ApplicationSpec{
				Project:     "default",
				Source:      &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "HEAD", Path: name},
				Destination: dest,
				SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}, SyncOptions: []string{"CreateNamespace=true"}},
			},
		}
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		// An hour between polls: only a first look or a refresh brings a
		// commit in.
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: namespace}, Data: map[string]string{"timeout.reconciliation": "1h"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cmd-params-cm", Namespace: namespace}, Data: map[string]string{"controller.sharding.algorithm": "round-robin"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "argocd-secret", Namespace: namespace}, StringData: map[string]string{"webhook.github.secret": "hook-secret"}},
		// Round-robin orders clusters by id: the in-cluster one (no id)
		// first, in shard 0, then this one, in shard 1.
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "cluster-far", Namespace: namespace, Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}},
			StringData: map[string]string{"name": "far", "server": far.Host, "config": string(farConfig)},
		},
		app("near", v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "shards"}),
		app("far", v1alpha1.ApplicationDestination{Name: "far", Namespace: "shards"}),
	} {
		if err := cl.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	webhook := freeAddress(t)
	a := startCommand(t, "run", "a", namespace, "--shards", "2", "--shard", "0", "--server-address", webhook, "--insecure")
	b := startCommand(t, "run", "b", namespace, "--shards", "2", "--shard", "1", "--server-address", "127.0.0.1:0", "--insecure")
	c := startCommand(t, "run", "c", namespace, "--shards", "2", "--shard", "1", "--server-address", "127.0.0.1:0", "--insecure")
	replicas := []*replica{a, b, c}
	defer func() {
		if t.Failed() {
			for _, r := range replicas {
				r.tail(t)
			}
		}
	}()
	colorOf := func(ctx context.Context, cluster string) string {
		cm, err := clients[cluster].CoreV1().ConfigMaps("shards").Get(ctx, cluster, metav1.GetOptions{})
		if err != nil {
			return ""
		}
		return cm.Data["color"]
	}
	for _, cluster := range []string{"near", "far"} {
		err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			return colorOf(ctx, cluster) == "blue", nil
		})
		if err != nil {
			t.Fatalf("Application %s was not synced: %v", cluster, err)
		}
	}

	// Which replicas know each Application: those that reconciled it
	// publish its argocd_app_info series.
	knows := func(r *replica, app string) bool {
		v, _ := r.metric("argocd_app_info", `name="`+app+`"`)
		return v > 0
	}
	leadsShard := func(r *replica, shard int) bool {
		v, _ := r.metric("leader_election_master_status", fmt.Sprintf(`name="capstan-controller-shard-%d"`, shard))
		return v == 1
	}
	var leader, standby *replica
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		switch {
		case leadsShard(b, 1) && leadsShard(c, 1):
			return false, fmt.Errorf("replicas b and c both lead shard 1")
		case leadsShard(b, 1):
			leader, standby = b, c
		case leadsShard(c, 1):
			leader, standby = c, b
		}
		return leader != nil && knows(a, "near") && knows(leader, "far"), nil
	})
	if err != nil {
		t.Fatalf("shard 1 has no leader, or the Applications were not reported by their shards' replicas: %v", err)
	}
	if !leadsShard(a, 0) {
		t.Errorf("replica a does not lead shard 0")
	}
	for _, wrong := range []struct {
		r   *replica
		app string
	}{{a, "far"}, {leader, "near"}, {standby, "near"}, {standby, "far"}} {
		if knows(wrong.r, wrong.app) {
			t.Errorf("replica %s reconciled Application %s, which is not its shard's", wrong.r.name, wrong.app)
		}
	}
	if n := standby.reconciles(); n != 0 {
		t.Errorf("the standby %s ran %v reconciles", standby.name, n)
	}

	// Shard 1's leader dies without releasing its Lease; a commit is
	// announced to replica a, which reconciles only shard 0.
	killed := time.Now()
	if err := leader.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	repo.Commit(t, "main", map[string]string{"near/cm.yaml": configMap("near", "green"), "far/cm.yaml": configMap("far", "green")}, "green")
	payload := `{"ref":"refs/heads/main","repository":{"clone_url":"` + repo.URL() + `","default_branch":"main"}}`
	if code := postWebhook(t, http.DefaultClient, "http://"+webhook, payload, "hook-secret"); code != http.StatusOK {
		t.Fatalf("webhook answered %d", code)
	}
	for _, cluster := range []string{"near", "far"} {
		err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			return colorOf(ctx, cluster) == "green", nil
		})
		if err != nil {
			t.Fatalf("the pushed commit was not synced to %s: %v", cluster, err)
		}
		t.Logf("shard 1's leader killed to the commit applied to %s: %s", cluster, time.Since(killed).Round(100*time.Millisecond))
	}
	if !leadsShard(standby, 1) || !knows(standby, "far") {
		t.Errorf("the standby %s did not take shard 1 over", standby.name)
	}
	if knows(standby, "near") || knows(a, "far") {
		t.Errorf("after the failover, a replica reconciled another shard's Application")
	}

	// The shard key of the cluster Secret moves the cluster to shard 0:
	// replica a reconciles its Application, with no other event.
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-far", Namespace: namespace}}
	if err := cl.Patch(ctx, secret, client.RawPatch("application/merge-patch+json", []byte(`{"stringData":{"shard":"0"}}`))); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		return knows(a, "far"), nil
	})
	if err != nil {
		t.Fatalf("replica a did not take the Application of the cluster moved to its shard: %v", err)
	}
}
