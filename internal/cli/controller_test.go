package cli

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sandbox"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	if sandbox.IsWorker() {
		// A controller under test started this binary as its render
		// worker, as capstan starts itself.
		cmd := NewRootCommand()
		cmd.SetArgs([]string{renderWorkerCommand})
		if err := cmd.Execute(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	if os.Getenv(memoryLimitHelperEnv) != "" {
		// TestMemoryLimitFollowsTheCgroup started this binary in a cgroup.
		os.Exit(memoryLimitHelper())
	}
	os.Exit(testenv.Run(m, &env))
}

// TestRunSyncsAndTakesWebhooks runs `capstan run` as a user would, with a
// kubeconfig and the settings ConfigMap, waits for an Application to
// converge, then pushes a commit and signals it through the GitHub webhook:
// with a poll interval of an hour, only the webhook can bring it in.
func TestRunSyncsAndTakesWebhooks(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl := clusterClient(t)
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: "argocd"}, Data: map[string]string{"timeout.reconciliation": "1h", "capstan.allowFileRepositories": "true", "capstan.webhook.requireSignature": "true"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "argocd-secret", Namespace: "argocd"}, StringData: map[string]string{"webhook.github.secret": "hook-secret"}},
	} {
		if err := cl.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", guestbook, "guestbook")
	repo.SetHead(t, "main")
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd"},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "HEAD", Path: "guestbook"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "guestbook"},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}, SyncOptions: []string{"CreateNamespace=true"}},
		},
	}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	cmd := NewRootCommand()
	address, metricsAddress := freeAddress(t), freeAddress(t)
	cmd.SetArgs([]string{"run", "--kubeconfig", env.Cluster.Kubeconfig, "--namespace", "argocd", "--server-address", address,
		"--metrics-bind-address", metricsAddress, "--health-probe-bind-address", "127.0.0.1:0", "--cache-dir", t.TempDir(), "--profiling"})
	exited := make(chan error, 1)
	go func() { exited <- cmd.ExecuteContext(runCtx) }()

	got := &v1alpha1.Application{}
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		if err := cl.Get(ctx, client.ObjectKeyFromObject(app), got); err != nil {
			return false, err
		}
		// The PostSync hook finishes after the Application is Synced.
		op := got.Status.OperationState
		return got.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && got.Status.Health.Status == v1alpha1.HealthStatusHealthy &&
			op != nil && op.Phase == v1alpha1.OperationSucceeded, nil
	})
	if err != nil {
		t.Fatalf("the Application did not become Synced and Healthy with its sync done: %v; status %+v", err, got.Status)
	}
	if heap := get(t, "http://"+metricsAddress+"/debug/pprof/heap?debug=1"); !strings.Contains(heap, "heap profile") {
		t.Errorf("--profiling serves no heap profile: %.200q", heap)
	}
	metrics := scrape(t, metricsAddress)
	for _, want := range []string{
		`argocd_app_info{autosync_enabled="true",dest_namespace="guestbook",dest_server="https://kubernetes.default.svc",health_status="Healthy",name="guestbook",namespace="argocd",operation="",project="default",repo="` + repo.URL() + `",sync_status="Synced"} 1`,
		`argocd_app_sync_total{dest_server="https://kubernetes.default.svc",dry_run="false",name="guestbook",namespace="argocd",phase="Succeeded",project="default"} 1`,
		`argocd_app_sync_duration_seconds_total{dest_server="https://kubernetes.default.svc",name="guestbook",namespace="argocd",project="default"} `,
		`argocd_app_reconcile_bucket{dest_server="https://kubernetes.default.svc",namespace="argocd",le="0.25"} `,
		`argocd_git_request_total{repo="` + repo.URL() + `",request_type="ls-remote"} `,
		`argocd_git_request_total{repo="` + repo.URL() + `",request_type="fetch"} `,
		`argocd_git_request_duration_seconds_bucket{repo="` + repo.URL() + `",request_type="ls-remote",le="0.1"} `,
		`capstan_app_sync_duration_seconds_bucket{project="default",le=`,
		`rest_client_requests_total{`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	lease := &coordinationv1.Lease{}
	if err := cl.Get(ctx, client.ObjectKey{Namespace: "argocd", Name: "capstan-controller"}, lease); err != nil {
		t.Errorf("no leader-election Lease: %v", err)
	}

	// The API answers over TLS with the generated certificate, and the
	// admin logs in with the initial password.
	api := trustingClient(t, cl, "argocd")
	token := apiLogin(t, api, "https://"+address, "admin", initialAdminPassword(t, cl, "argocd"))
	if info := apiGet(t, api, "https://"+address+"/api/v1/session/userinfo", token); !strings.Contains(info, `"username":"admin"`) {
		t.Errorf("userinfo of the admin's session: %s", info)
	}

	// A push, announced by a correctly signed GitHub webhook, is applied.
	repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": strings.Replace(guestbook["guestbook/deployment.yaml"], "replicas: 1", "replicas: 2", 1)}, "scale")
	payload := `{"ref":"refs/heads/main","repository":{"clone_url":"` + repo.URL() + `","default_branch":"main"}}`
	if code := postWebhook(t, api, "https://"+address, payload, "wrong-secret"); code != http.StatusUnauthorized {
		t.Errorf("a wrongly signed webhook got %d, want 401", code)
	}
	// GitLab has no secret, GitHub has one: with signatures required, an
	// unsigned GitLab event is refused.
	unsigned, _ := http.NewRequestWithContext(ctx, http.MethodPost, "https://"+address+"/api/webhook", strings.NewReader(`{"ref":"refs/heads/main","project":{"web_url":"`+repo.URL()+`"}}`))
	unsigned.Header.Set("X-Gitlab-Event", "Push Hook")
	if resp, err := api.Do(unsigned); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unsigned GitLab event with signatures required: %v, %v; want 401", resp, err)
	} else {
		resp.Body.Close()
	}
	pushed := time.Now()
	if code := postWebhook(t, api, "https://"+address, payload, "hook-secret"); code != http.StatusOK {
		t.Fatalf("webhook answered %d", code)
	}
	cs := kubernetes.NewForConfigOrDie(env.Config())
	err = wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		d, err := cs.AppsV1().Deployments("guestbook").Get(ctx, "guestbook-ui", metav1.GetOptions{})
		return err == nil && *d.Spec.Replicas == 2, nil
	})
	if err != nil {
		t.Fatalf("the pushed change was not applied after the webhook: %v", err)
	}
	t.Logf("webhook to change stored in the API server: %s", time.Since(pushed).Round(time.Millisecond))

	stop()
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("capstan controller ended with %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Error("capstan controller did not stop after its context ended")
	}
}

// freeAddress is a loopback address for a server a test starts; see
// testenv.FreeAddresses.
func freeAddress(t *testing.T) string {
	t.Helper()
	addrs, err := testenv.FreeAddresses(1)
	if err != nil {
		t.Fatal(err)
	}
	return addrs[0]
}

// postWebhook sends a GitHub push event signed with secret to the server
// at base (http:// or https://) through c and returns the status,
// retrying while the server is not listening yet.
func postWebhook(t *testing.T, c *http.Client, base, payload, secret string) int {
	t.Helper()
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(payload))
	code := 0
	var lastErr error
	err := wait.PollUntilContextTimeout(context.Background(), 100*time.Millisecond, 10*time.Second, true, func(ctx context.Context) (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/webhook", strings.NewReader(payload))
		req.Header.Set("X-GitHub-Event", "push")
		req.Header.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(mac.Sum(nil)))
		resp, err := c.Do(req)
		if err != nil {
			lastErr = err
			return false, nil
		}
		resp.Body.Close()
		code = resp.StatusCode
		return true, nil
	})
	if err != nil {
		t.Fatalf("webhook server not reachable: %v", lastErr)
	}
	return code
}

func scrape(t *testing.T, address string) string {
	t.Helper()
	return get(t, "http://"+address+"/metrics")
}

// get returns the body of a GET of url.
func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(body)
}
