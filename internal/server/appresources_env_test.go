package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/rbac"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/source"
)

// resEnv is the API of the resource, project, repository and cluster
// endpoints on the package's control plane, in a namespace of its own,
// with real Git access and renders. Callers are real local accounts of
// that namespace, each calling with a real token, and what each may do
// is policy in its argocd-rbac-cm, decided by capstan's RBAC.
type resEnv struct {
	api    *API
	srv    *httptest.Server
	client client.Client
	ns     string
	// tokens are the callers' bearer tokens by account name.
	tokens map[string]string
}

// grant allows subject action on resource objects matching object (a
// glob of capstan's RBAC: "*" matches any run of characters, slashes
// included). It becomes a line of argocd-rbac-cm's policy.csv.
type grant struct{ subject, resource, action, object string }

// policyOf is the policy.csv that allows g.
func policyOf(g []grant) string {
	lines := make([]string, 0, len(g))
	for _, x := range g {
		lines = append(lines, fmt.Sprintf("p, %s, %s, %s, %s, allow", x.subject, x.resource, x.action, x.object))
	}
	return strings.Join(lines, "\n")
}

// newResEnv starts the API in a new namespace whose local accounts are
// admin (built in, with role:admin) and each subject of g, an account
// with the apiKey capability calling with an API token; g is its RBAC
// policy.
func newResEnv(t *testing.T, g ...grant) *resEnv {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	cl := servingClient(t)
	ns := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(ns) > 50 {
		ns = ns[:50]
	}
	ns = strings.Trim(ns, "-")
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cl.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	})
	accounts := map[string]string{}
	for _, x := range g {
		if x.subject != session.Admin {
			accounts["accounts."+x.subject] = session.CapabilityAPIKey
		}
	}
	for name, data := range map[string]map[string]string{settings.ConfigMap: accounts, settings.RBAC: {"policy.csv": policyOf(g)}} {
		if err := cl.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: data}); err != nil {
			t.Fatal(err)
		}
	}
	sessions := session.New(session.Options{Namespace: ns, Client: cl})
	if err := sessions.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{session.Admin: loginAdmin(ctx, t, cl, sessions, ns)}
	for _, x := range g {
		if _, ok := tokens[x.subject]; ok {
			continue
		}
		token, _, err := sessions.CreateToken(ctx, x.subject, "", 0)
		if err != nil {
			t.Fatalf("issue an API token to %s: %v", x.subject, err)
		}
		tokens[x.subject] = token
	}
	// The watcher reads the ConfigMaps written above before it returns,
	// and the enforcer applies its first snapshot before it does: the
	// policy is in force from the first request.
	watcher, err := settings.Watch(ctx, env.Config(), ns)
	if err != nil {
		t.Fatal(err)
	}
	git, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir(), AllowFileRepositories: true})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := source.NewCharts(source.ChartsOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	api := &API{
		Namespace: ns,
		Client:    cl,
		Auth:      Sessions{Manager: sessions},
		Sessions:  sessions,
		RBAC:      NewAuthorizer(rbac.Watch(ctx, watcher, cl, ns)),
		Backends: &Backends{
			InCluster: env.Config(),
			Fetcher:   &source.Fetcher{Git: git, Charts: charts},
			Render:    render.NewCache(16).Render,
			Git:       git,
		},
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &resEnv{api: api, srv: srv, client: cl, ns: ns, tokens: tokens}
}

// loginAdmin logs the admin of ns in with the initial password that
// sessions' first start wrote, and returns the session token.
func loginAdmin(ctx context.Context, t *testing.T, cl client.Client, sessions *session.Manager, ns string) string {
	t.Helper()
	var initial corev1.Secret
	if err := cl.Get(ctx, client.ObjectKey{Namespace: ns, Name: session.InitialAdminSecret}, &initial); err != nil {
		t.Fatal(err)
	}
	token, _, err := sessions.Login(ctx, session.Admin, string(initial.Data["password"]))
	if err != nil {
		t.Fatalf("log the admin in: %v", err)
	}
	return token
}

// do sends a request as subject ("" for none) with its token and with
// body (JSON-encoded unless it is a string), and returns the status and
// the answer.
func (e *resEnv) do(t *testing.T, subject, method, target string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.srv.URL+target, rd)
	if err != nil {
		t.Fatal(err)
	}
	if subject != "" {
		token, ok := e.tokens[subject]
		if !ok {
			t.Fatalf("%s is no account of the test: grant it something", subject)
		}
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// decode reads an answer into v, failing the test when it is not JSON.
func decode(t *testing.T, data []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, data)
	}
}

// servingClient is an admin client whose discovery knows capstan's kinds:
// a CRD can be established a moment before discovery lists it, and a
// client that missed it would answer "no matches for kind".
func servingClient(t *testing.T) client.Client {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		cl := env.Client(t)
		err := cl.List(context.Background(), &v1alpha1.AppProjectList{}, client.Limit(1))
		if err == nil {
			return cl
		}
		if time.Now().After(deadline) {
			t.Fatalf("capstan's kinds are not served: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
