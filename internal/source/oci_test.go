package source

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	helmregistry "helm.sh/helm/v3/pkg/registry"

	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// pushCharts logs in to reg with basic auth and pushes guestbook 1.0.0,
// 1.1.0, 1.2.0-rc.1 and 2.0.0 under charts/, the way `helm push` does.
func pushCharts(t *testing.T, reg *registry.Registry) {
	t.Helper()
	opts := []helmregistry.ClientOption{
		helmregistry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
	}
	login := []helmregistry.LoginOption{helmregistry.LoginOptBasicAuth(reg.Username, reg.Password)}
	if len(reg.CAData) == 0 {
		opts = append(opts, helmregistry.ClientOptPlainHTTP())
		login = append(login, helmregistry.LoginOptPlainText(true))
	} else {
		ca := filepath.Join(t.TempDir(), "ca.crt")
		if err := os.WriteFile(ca, reg.CAData, 0o600); err != nil {
			t.Fatal(err)
		}
		login = append(login, helmregistry.LoginOptTLSClientConfig("", "", ca))
	}
	client, err := helmregistry.NewClient(opts...)
	if err != nil {
		t.Fatal(err)
	}
	if err := client.Login(reg.Host, login...); err != nil {
		t.Fatalf("login to %s: %v", reg.Host, err)
	}
	dir := t.TempDir()
	for _, v := range []string{"1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0"} {
		data, err := os.ReadFile(packageChart(t, dir, "guestbook", v))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := client.Push(data, reg.Host+"/charts/guestbook:"+v); err != nil {
			t.Fatalf("push guestbook %s: %v", v, err)
		}
	}
}

func TestOCIResolveAndPull(t *testing.T) {
	plain := registry.Start(t, registry.Options{})
	pushCharts(t, plain)
	secure := registry.Start(t, registry.Options{TLS: true})
	pushCharts(t, secure)
	repos := []struct {
		name string
		repo Repository
	}{
		{"oci URL over plain HTTP", Repository{URL: plain.URL("charts"), Type: "helm", InsecureOCIForceHTTP: true, Username: plain.Username, Password: plain.Password}},
		{"no scheme with enableOCI", Repository{URL: plain.Host + "/charts", Type: "helm", EnableOCI: true, InsecureOCIForceHTTP: true, Username: plain.Username, Password: plain.Password}},
		{"oci URL over TLS with CA data", Repository{URL: secure.URL("charts"), Type: "helm", EnableOCI: true, CAData: string(secure.CAData), Username: secure.Username, Password: secure.Password}},
	}
	tests := []struct {
		constraint string
		want       string
	}{
		{">=1.0 <2", "1.1.0"},
		{"1.0.0", "1.0.0"},
		{"*", "2.0.0"},
		{"~1.2.0-0", "1.2.0-rc.1"},
	}
	for _, rr := range repos {
		t.Run(rr.name, func(t *testing.T) {
			charts, _ := testCharts(t)
			for _, tt := range tests {
				got, err := charts.Resolve(t.Context(), rr.repo, "guestbook", tt.constraint)
				if err != nil {
					t.Fatalf("Resolve(%q): %v", tt.constraint, err)
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("Resolve(%q) (-want +got):\n%s", tt.constraint, diff)
				}
			}
			dir, err := charts.Pull(t.Context(), rr.repo, "guestbook", "1.1.0")
			if err != nil {
				t.Fatalf("Pull: %v", err)
			}
			if got := chartYAMLVersion(t, dir); got != "1.1.0" {
				t.Errorf("pulled Chart.yaml has version %s, want 1.1.0", got)
			}
			assertReadOnly(t, dir)
		})
	}
}

func TestOCIErrors(t *testing.T) {
	reg := registry.Start(t, registry.Options{})
	pushCharts(t, reg)
	good := Repository{URL: reg.URL("charts"), InsecureOCIForceHTTP: true, Username: reg.Username, Password: reg.Password}
	wrong := good
	wrong.Password = "wrong-" + reg.Password
	anonymous := good
	anonymous.Username, anonymous.Password = "", ""
	closed := good
	closed.URL = "oci://" + closedAddr(t) + "/charts"
	tests := []struct {
		name    string
		repo    Repository
		chart   string
		version string
		pull    bool
		want    error
		msg     string
	}{
		{name: "wrong password", repo: wrong, chart: "guestbook", version: ">=1.0 <2", want: ErrAuth,
			msg: "chart guestbook version >=1.0 <2: authentication failed for " + reg.URL("charts")},
		{name: "wrong password on pull", repo: wrong, chart: "guestbook", version: "1.0.0", pull: true, want: ErrAuth},
		{name: "no credentials", repo: anonymous, chart: "guestbook", version: "1.0.0", want: ErrAuth},
		{name: "missing version", repo: good, chart: "guestbook", version: "9.9.9", want: ErrRevisionNotFound,
			msg: "chart guestbook version 9.9.9 not found in " + reg.URL("charts")},
		{name: "missing version on pull", repo: good, chart: "guestbook", version: "9.9.9", pull: true, want: ErrRevisionNotFound,
			msg: "chart guestbook version 9.9.9 not found in " + reg.URL("charts")},
		{name: "missing chart", repo: good, chart: "nginx", version: "1.0.0", want: ErrRevisionNotFound,
			msg: "chart nginx version 1.0.0 not found in " + reg.URL("charts")},
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
			assertNoSecret(t, err, reg.Password)
		})
	}
}
