package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestServerServesAPIAndWebhook runs `capstan server` alone, without
// controllers: it serves the API over TLS with the certificate it
// generated, and a webhook asks, through the refresh annotation, the
// controller running elsewhere to refresh the Applications a push
// concerns.
func TestServerServesAPIAndWebhook(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl := clusterClient(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "server-"}}
	if err := cl.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	repoURL := "https://git.example.com/apps.git"
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: ns.Name},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repoURL, TargetRevision: "main", Path: "guestbook"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "guestbook"},
		},
	}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}

	runCtx, stop := context.WithCancel(ctx)
	cmd := NewRootCommand()
	address := freeAddress(t)
	cmd.SetArgs([]string{"server", "--kubeconfig", env.Cluster.Kubeconfig, "--namespace", ns.Name, "--address", address,
		"--metrics-bind-address", "0", "--health-probe-bind-address", "127.0.0.1:0"})
	exited := make(chan error, 1)
	go func() { exited <- cmd.ExecuteContext(runCtx) }()
	defer func() {
		stop()
		if err := <-exited; err != nil {
			t.Errorf("capstan server ended with %v", err)
		}
	}()

	api := trustingClient(t, cl, ns.Name)
	base := "https://" + address
	token := apiLogin(t, api, base, "admin", initialAdminPassword(t, cl, ns.Name))
	if info := apiGet(t, api, base+"/api/v1/session/userinfo", token); !strings.Contains(info, `"loggedIn":true`) {
		t.Errorf("userinfo of the admin's session: %s", info)
	}

	payload := `{"ref":"refs/heads/main","repository":{"clone_url":"` + repoURL + `","default_branch":"main"}}`
	if code := postWebhook(t, api, base, payload, ""); code != http.StatusOK {
		t.Fatalf("webhook answered %d", code)
	}
	got := &v1alpha1.Application{}
	if err := cl.Get(ctx, client.ObjectKeyFromObject(app), got); err != nil {
		t.Fatal(err)
	}
	if got.Annotations[v1alpha1.AnnotationRefresh] != v1alpha1.RefreshTypeNormal {
		t.Errorf("the webhook did not ask for a refresh: annotations %v", got.Annotations)
	}
}

// trustingClient is an HTTP client that trusts only the server certificate
// capstan generated into argocd-secret of namespace.
func trustingClient(t *testing.T, cl client.Client, namespace string) *http.Client {
	t.Helper()
	var crt []byte
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		var s corev1.Secret
		if err := cl.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "argocd-secret"}, &s); err != nil {
			return false, client.IgnoreNotFound(err)
		}
		crt = s.Data["tls.crt"]
		return len(crt) > 0, nil
	})
	if err != nil {
		t.Fatalf("no server certificate in argocd-secret: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(crt) {
		t.Fatal("tls.crt holds no certificate")
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
}

// initialAdminPassword is the password of argocd-initial-admin-secret.
func initialAdminPassword(t *testing.T, cl client.Client, namespace string) string {
	t.Helper()
	var s corev1.Secret
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		err := cl.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "argocd-initial-admin-secret"}, &s)
		return err == nil, client.IgnoreNotFound(err)
	})
	if err != nil {
		t.Fatalf("no argocd-initial-admin-secret: %v", err)
	}
	return string(s.Data["password"])
}

// apiLogin logs in at base and returns the session token, retrying while
// the server is not listening yet.
func apiLogin(t *testing.T, c *http.Client, base, user, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	var out struct{ Token string }
	var last string
	err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/api/v1/session", strings.NewReader(string(body)))
		resp, err := c.Do(req)
		if err != nil {
			last = err.Error()
			return false, nil
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		last = string(data)
		return resp.StatusCode == http.StatusOK && json.Unmarshal(data, &out) == nil, nil
	})
	if err != nil {
		t.Fatalf("log in as %s at %s: %s", user, base, last)
	}
	return out.Token
}

// apiGet returns the body of a GET of url with token.
func apiGet(t *testing.T, c *http.Client, url, token string) string {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return string(data)
}
