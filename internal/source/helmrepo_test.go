package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/repo"

	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

const (
	helmUser     = "charts"
	helmPassword = "s3cret-chart-password"
)

// helmRepoFixture serves guestbook 1.0.0, 1.1.0 and 2.0.0-rc.1 behind basic
// auth. The index points at the archives by relative URLs unless absolute
// is set, and then by the server's full URL.
func helmRepoFixture(t *testing.T, absolute bool, opts registry.HelmRepoOptions) *registry.HelmRepo {
	t.Helper()
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "1.1.0", "2.0.0-rc.1"} {
		packageChart(t, dir, "guestbook", v)
	}
	packageChart(t, dir, "other", "0.1.0")
	srv := registry.ServeHelmRepo(t, dir, opts)
	base := ""
	if absolute {
		base = srv.URL + "/"
	}
	index, err := repo.IndexDirectory(dir, base)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestHelmRepoResolve(t *testing.T) {
	srv := helmRepoFixture(t, false, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword})
	charts, _ := testCharts(t)
	r := Repository{URL: srv.URL, Type: "helm", Username: helmUser, Password: helmPassword}
	tests := []struct {
		constraint string
		want       string
	}{
		{"1.0.0", "1.0.0"},
		{"1.1.0", "1.1.0"},
		{"1.*", "1.1.0"},
		{">=1.0 <1.1", "1.0.0"},
		{"~1.0", "1.0.0"},
		{"*", "1.1.0"},
		{">=2.0.0-0", "2.0.0-rc.1"},
	}
	for _, tt := range tests {
		got, err := charts.Resolve(t.Context(), r, "guestbook", tt.constraint)
		if err != nil {
			t.Errorf("Resolve(%q): %v", tt.constraint, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Resolve(%q) (-want +got):\n%s", tt.constraint, diff)
		}
	}
}

func TestHelmRepoPull(t *testing.T) {
	for _, absolute := range []bool{false, true} {
		t.Run(fmt.Sprintf("absolute URLs %v", absolute), func(t *testing.T) {
			srv := helmRepoFixture(t, absolute, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword, TLS: absolute})
			charts, _ := testCharts(t)
			r := Repository{URL: srv.URL + "/", Type: "helm", Username: helmUser, Password: helmPassword, CAData: string(srv.CAData)}
			for _, v := range []string{"1.0.0", "1.1.0"} {
				dir, err := charts.Pull(t.Context(), r, "guestbook", v)
				if err != nil {
					t.Fatalf("Pull %s: %v", v, err)
				}
				if got := chartYAMLVersion(t, dir); got != v {
					t.Errorf("Pull %s: Chart.yaml has version %s", v, got)
				}
				tmpl, err := os.ReadFile(filepath.Join(dir, "templates", "configmap.yaml"))
				if err != nil || !strings.Contains(string(tmpl), "version: "+v) {
					t.Errorf("Pull %s: template missing or wrong: %q, %v", v, tmpl, err)
				}
				assertReadOnly(t, dir)
			}
		})
	}
}

func TestHelmRepoPullOnce(t *testing.T) {
	srv := helmRepoFixture(t, false, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword})
	charts, _ := testCharts(t)
	r := Repository{URL: srv.URL, Type: "helm", Username: helmUser, Password: helmPassword}
	const callers = 8
	dirs := make([]string, callers)
	errs := make([]error, callers)
	var wg sync.WaitGroup
	for i := range callers {
		wg.Go(func() { dirs[i], errs[i] = charts.Pull(t.Context(), r, "guestbook", "1.1.0") })
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("Pull %d: %v", i, errs[i])
		}
		if dirs[i] != dirs[0] {
			t.Errorf("Pull %d returned %s, Pull 0 %s", i, dirs[i], dirs[0])
		}
	}
	// A later Pull is served from the cache, also by a new process on the
	// same cache directory.
	if _, err := charts.Pull(t.Context(), r, "guestbook", "1.1.0"); err != nil {
		t.Fatal(err)
	}
	restarted, err := NewCharts(charts.opts)
	if err != nil {
		t.Fatal(err)
	}
	if dir, err := restarted.Pull(t.Context(), r, "guestbook", "1.1.0"); err != nil || dir != dirs[0] {
		t.Errorf("Pull after restart = %s, %v; want %s", dir, err, dirs[0])
	}
	if got := srv.Requests("/guestbook-1.1.0.tgz"); got != 1 {
		t.Errorf("archive downloaded %d times, want 1", got)
	}
}

func TestHelmRepoIndexOncePerInterval(t *testing.T) {
	srv := helmRepoFixture(t, false, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword})
	charts, clk := testCharts(t)
	r := Repository{URL: srv.URL, Type: "helm", Username: helmUser, Password: helmPassword}
	resolveMany := func() {
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Go(func() {
				constraint := []string{"1.*", "1.0.0", "*", "~1.1"}[i%4]
				if _, err := charts.Resolve(t.Context(), r, "guestbook", constraint); err != nil {
					t.Errorf("Resolve(%q): %v", constraint, err)
				}
			})
		}
		wg.Wait()
		if _, err := charts.Pull(t.Context(), r, "guestbook", "1.0.0"); err != nil {
			t.Errorf("Pull: %v", err)
		}
	}
	resolveMany()
	if got := srv.Requests("/index.yaml"); got != 1 {
		t.Errorf("index fetched %d times in one interval, want 1", got)
	}
	clk.SetTime(clk.Now().Add(59 * time.Second))
	resolveMany()
	if got := srv.Requests("/index.yaml"); got != 1 {
		t.Errorf("index fetched %d times before the interval ended, want 1", got)
	}
	clk.SetTime(clk.Now().Add(2 * time.Second))
	resolveMany()
	if got := srv.Requests("/index.yaml"); got != 2 {
		t.Errorf("index fetched %d times over two intervals, want 2", got)
	}
}

func TestHelmRepoErrors(t *testing.T) {
	srv := helmRepoFixture(t, false, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword})
	good := Repository{URL: srv.URL, Type: "helm", Username: helmUser, Password: helmPassword}
	wrong := good
	wrong.Password = "wrong-" + helmPassword
	anonymous := good
	anonymous.Username, anonymous.Password = "", ""
	closed := good
	closed.URL = "http://" + closedAddr(t)
	tests := []struct {
		name    string
		repo    Repository
		chart   string
		version string
		pull    bool
		want    error
		msg     string // a substring of the message
	}{
		{name: "wrong password", repo: wrong, chart: "guestbook", version: "1.*", want: ErrAuth,
			msg: "chart guestbook version 1.*: authentication failed for " + srv.URL},
		{name: "no credentials", repo: anonymous, chart: "guestbook", version: "1.0.0", want: ErrAuth},
		{name: "wrong password on pull", repo: wrong, chart: "guestbook", version: "1.0.0", pull: true, want: ErrAuth},
		{name: "missing version", repo: good, chart: "guestbook", version: "9.9.9", want: ErrRevisionNotFound,
			msg: "chart guestbook version 9.9.9 not found in " + srv.URL},
		{name: "missing version on pull", repo: good, chart: "guestbook", version: "9.9.9", pull: true, want: ErrRevisionNotFound,
			msg: "chart guestbook version 9.9.9 not found in " + srv.URL},
		{name: "no match for range", repo: good, chart: "guestbook", version: ">=3", want: ErrRevisionNotFound,
			msg: "chart guestbook version >=3 not found in " + srv.URL},
		{name: "missing chart", repo: good, chart: "nginx", version: "1.0.0", want: ErrRevisionNotFound,
			msg: "chart nginx not found in " + srv.URL},
		{name: "no repository there", repo: Repository{URL: srv.URL + "/nothing", Username: helmUser, Password: helmPassword}, chart: "guestbook", version: "1.0.0", want: ErrRepositoryNotFound},
		{name: "unreachable", repo: closed, chart: "guestbook", version: "1.0.0", want: ErrUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			charts, _ := testCharts(t)
			var err error
			if tt.pull {
				_, err = charts.Pull(t.Context(), tt.repo, tt.chart, tt.version)
			} else {
				_, err = charts.Resolve(t.Context(), tt.repo, tt.chart, tt.version)
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			t.Logf("error: %v", err)
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("message %q does not contain %q", err, tt.msg)
			}
			assertNoSecret(t, err, helmPassword)
		})
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestHelmRepoResolveHonoursContext(t *testing.T) {
	// A server that accepts connections and never answers.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				c.Close()
			}
		}()
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			conns = append(conns, conn)
		}
	}()
	t.Cleanup(func() { l.Close(); <-done })
	charts, _ := testCharts(t)
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = charts.Resolve(ctx, Repository{URL: "http://" + l.Addr().String()}, "guestbook", "*")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v, want the context's deadline", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Resolve returned %v after the deadline", d)
	}
}
