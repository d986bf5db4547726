package server

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"

	"github.com/capstan-cd/capstan/internal/rbac"
)

// TestAuthorizerDecidesAsThePrincipal: the caller's subject and groups
// both reach the policy, and a refusal is a 403.
func TestAuthorizerDecidesAsThePrincipal(t *testing.T) {
	cfg, err := rbac.ParseConfig(map[string]string{
		"policy.csv": "g, team-a, role:readonly\np, bob, clusters, get, *, allow\ng, ops@example.com, role:admin",
		"scopes":     "[groups, email]",
	})
	if err != nil {
		t.Fatal(err)
	}
	enf, err := rbac.New(cfg, servedClient(t), "argocd")
	if err != nil {
		t.Fatal(err)
	}
	a := &API{RBAC: NewAuthorizer(enf)}
	got := map[string]int{}
	for name, p := range map[string]Principal{
		"sso user of team-a": {Subject: "sso|123", Groups: []string{"team-a"}},
		"bob":                {Subject: "bob"},
		"admin":              {Subject: "admin"},
		// SSO groups come from the claims scopes name: here the email.
		"sso user by email":                   {Subject: "sso|456", Claims: map[string]any{"email": "ops@example.com", "groups": []any{"nobody"}}},
		"sso user whose claims hold no scope": {Subject: "sso|789", Groups: []string{"team-a"}, Claims: map[string]any{"groups": "other"}},
	} {
		for _, q := range [][3]string{{"applications", "get", "a/web"}, {"clusters", "get", "https://x"}, {"applications", "sync", "a/web"}} {
			r := httptest.NewRequestWithContext(context.WithValue(context.Background(), principalKey{}, p), "GET", "/", nil)
			w := httptest.NewRecorder()
			status := 200
			if !a.allowed(w, r, q[0], q[1], q[2]) {
				status = w.Code
			}
			got[name+": "+q[0]+" "+q[1]] = status
		}
	}
	want := map[string]int{
		"sso user of team-a: applications get": 200, "sso user of team-a: clusters get": 200, "sso user of team-a: applications sync": 403,
		"bob: applications get": 403, "bob: clusters get": 200, "bob: applications sync": 403,
		"admin: applications get": 200, "admin: clusters get": 200, "admin: applications sync": 200,
		"sso user by email: applications get": 200, "sso user by email: clusters get": 200, "sso user by email: applications sync": 200,
		"sso user whose claims hold no scope: applications get": 403, "sso user whose claims hold no scope: clusters get": 403, "sso user whose claims hold no scope: applications sync": 403,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("status by caller and request (-want +got):\n%s", diff)
	}
}

// servedClient is a client of the package's control plane once it serves
// AppProjects: right after the CRDs are installed, discovery may not list
// them yet, and a read of an AppProject then fails (which RBAC denies).
func servedClient(t *testing.T) client.Client {
	t.Helper()
	cl := env.Client(t)
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		return cl.List(ctx, &v1alpha1.AppProjectList{}) == nil, nil
	})
	if err != nil {
		t.Fatalf("AppProjects not served: %v", err)
	}
	return cl
}
