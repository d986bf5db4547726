package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/rbac"
	"github.com/capstan-cd/capstan/internal/testenv"
)

// benchPagePolicy is an argocd-rbac-cm of a few dozen lines, as a company
// of several teams writes one: a role per team on its project, with a
// deny on deleting production, SSO groups bound to the roles, an
// operations role on everything, an auditor kept out of one project,
// users named directly, and the read-only default role.
func benchPagePolicy() map[string]string {
	var b strings.Builder
	b.WriteString("p, role:ops, applications, *, */*, allow\np, role:ops, clusters, get, *, allow\ng, ops-team, role:ops\n")
	for i := range testenv.ListProjects {
		fmt.Fprintf(&b, "p, role:team-%d, applications, *, project-%d/*, allow\n", i, i)
		fmt.Fprintf(&b, "p, role:team-%d, applications, delete, project-%d/prod-*, deny\n", i, i)
		fmt.Fprintf(&b, "g, team-%d-devs, role:team-%d\n", i, i)
	}
	b.WriteString("p, role:auditor, applications, get, */*, allow\np, role:auditor, applications, get, project-9/*, deny\ng, auditors, role:auditor\n")
	b.WriteString("p, carol, applications, get, project-5/*, allow\np, carol, applications, get, project-6/app-0000*, deny\ng, dave, role:team-1\n")
	return map[string]string{"policy.default": "role:readonly", "policy.csv": b.String()}
}

// BenchmarkApplicationsPage serves the first page of the dashboard's list
// of Applications from an informer cache of thousands of Applications
// (CAPSTAN_BENCH_APPS, 10,000 unless set) in ten AppProjects, as callers
// of different reach: the handler's own time, without the network or the
// session check. One loop is one page.
func BenchmarkApplicationsPage(b *testing.B) {
	n := 10000
	if v := os.Getenv("CAPSTAN_BENCH_APPS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("CAPSTAN_BENCH_APPS=%q: %v", v, err)
		}
	}
	ctx := b.Context()
	direct := env.Client(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "bench-page-"}}
	if err := direct.Create(ctx, ns); err != nil {
		b.Fatal(err)
	}
	if err := testenv.CreateListApps(ctx, direct, ns.Name, n); err != nil {
		b.Fatal(err)
	}
	cached, informers := cachedClient(ctx, b, ns.Name)
	apps := appcache.NewIndex(informers, ns.Name)
	err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, 5*time.Minute, true, func(ctx context.Context) (bool, error) {
		list, _, err := apps.List(ctx)
		return err == nil && len(list) == n, nil
	})
	if err != nil {
		b.Fatalf("the cache did not hold %d Applications: %v", n, err)
	}
	cfg, err := rbac.ParseConfig(benchPagePolicy())
	if err != nil {
		b.Fatal(err)
	}
	enf, err := rbac.New(cfg, cached, ns.Name)
	if err != nil {
		b.Fatal(err)
	}
	api := &API{Namespace: ns.Name, Client: cached, Cache: informers, Apps: apps, RBAC: NewAuthorizer(enf)}
	callers := []struct {
		name    string
		p       Principal
		visible int
	}{
		{"admin", Principal{Subject: "admin"}, n},
		{"readonly", Principal{Subject: "someone"}, n},
		{"sso-team", Principal{Subject: "erin", Groups: []string{"staff", "team-4-devs", "project-4-ci"}}, n},
		{"auditor", Principal{Subject: "frank", Groups: []string{"auditors"}}, n},
		{"project-token", Principal{Subject: "proj:project-2:ci"}, (n + testenv.ListProjects - 3) / testenv.ListProjects},
	}
	// The first page after a start waits for the API's index of
	// Applications; the benchmark measures the pages after.
	benchPage(b, api, context.WithValue(ctx, principalKey{}, callers[0].p), n)
	for _, c := range callers {
		b.Run(c.name, func(b *testing.B) {
			pctx := context.WithValue(ctx, principalKey{}, c.p)
			b.ReportAllocs()
			for b.Loop() {
				benchPage(b, api, pctx, c.visible)
			}
		})
	}
}

// benchPage serves the first page of the list to the caller of ctx, and
// fails unless it says visible Applications are visible.
func benchPage(b *testing.B, api *API, ctx context.Context, visible int) {
	w := httptest.NewRecorder()
	api.pageApplications(w, httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/v1/ui/applications", nil))
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
	var page appPage
	if err := json.Unmarshal(w.Body.Bytes(), &page); err != nil || page.Visible != visible {
		b.Fatalf("the page shows %d Applications (%v), want %d", page.Visible, err, visible)
	}
}
