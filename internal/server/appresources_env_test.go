package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/source"
)

// resEnv is the API of the resource, project, repository and cluster
// endpoints on the package's control plane, in a namespace of its own,
// with real Git access and renders. Callers are named by their bearer
// token; allowList say what each may do.
type resEnv struct {
	api    *API
	srv    *httptest.Server
	client client.Client
	ns     string
}

// grant is one allowed (subject, resource, action, object pattern); a
// pattern ending in "*" matches any object it prefixes, slashes included.
type grant struct{ subject, resource, action, object string }

// allowList decides with a list of allowList.
type allowList []grant

func (g allowList) Enforce(_ context.Context, p Principal, resource, action, object string) bool {
	for _, x := range g {
		if x.subject != p.Subject || x.resource != resource && x.resource != "*" {
			continue
		}
		if x.action != "*" && x.action != action {
			continue
		}
		if prefix, ok := strings.CutSuffix(x.object, "*"); ok && strings.HasPrefix(object, prefix) || x.object == object {
			return true
		}
	}
	return false
}

// tokens authenticates a token as the subject it names: "t-<subject>".
type tokens struct{}

func (tokens) Authenticate(_ context.Context, token string) (Principal, error) {
	sub, ok := strings.CutPrefix(token, "t-")
	if !ok {
		return Principal{}, errors.New("unknown token")
	}
	return Principal{Subject: sub, Issuer: "argocd"}, nil
}

// adminGrant lets "admin" do anything.
var adminGrant = grant{"admin", "*", "*", "*"}

func newResEnv(t *testing.T, g ...grant) *resEnv {
	t.Helper()
	ctx := context.Background()
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
		Auth:      tokens{},
		RBAC:      append(allowList{adminGrant}, g...),
		Backends: &Backends{
			InCluster: env.Config(),
			Fetcher:   &source.Fetcher{Git: git, Charts: charts},
			Render:    render.NewCache(16).Render,
			Git:       git,
		},
	}
	srv := httptest.NewServer(api.Handler())
	t.Cleanup(srv.Close)
	return &resEnv{api: api, srv: srv, client: cl, ns: ns}
}

// do sends a request as subject ("" for none) with body (JSON-encoded
// unless it is a string) and returns the status and the answer.
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
		req.Header.Set("Authorization", "Bearer t-"+subject)
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
