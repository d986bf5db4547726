package imageupdater

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// articleRegistries is the registries list of the article's Helm values
// as the chart writes it into registries.conf, account and region filled.
const articleRegistries = `registries:
- name: ECR
  api_url: https://123456789012.dkr.ecr.eu-west-1.amazonaws.com
  prefix: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
  default: true
  ping: yes
  insecure: no
  credentials: ext:/scripts/ecr-login.sh
  credsexpire: 11h
`

func TestParseRegistriesConfArticle(t *testing.T) {
	conf, err := ParseRegistriesConf([]byte(articleRegistries))
	if err != nil {
		t.Fatal(err)
	}
	want := &RegistriesConf{Registries: []RegistryConfig{{
		Name: "ECR", APIURL: "https://123456789012.dkr.ecr.eu-west-1.amazonaws.com",
		Prefix: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", Default: true, Ping: true,
		Credentials: "ext:/scripts/ecr-login.sh", CredsExpire: "11h",
	}}}
	if diff := cmp.Diff(want, conf); diff != "" {
		t.Errorf("ParseRegistriesConf (-want +got):\n%s", diff)
	}
	ecr := "123456789012.dkr.ecr.eu-west-1.amazonaws.com"
	got := conf.locate(ecr + "/admin-api")
	wantLoc := imageLocation{Repository: "admin-api", Endpoint: endpoint{
		Name: "ECR", Prefix: ecr, Host: ecr, Credentials: "ext:/scripts/ecr-login.sh",
		CredsExpire: 11 * time.Hour, Limit: DefaultRateLimit,
	}}
	if diff := cmp.Diff(wantLoc, got); diff != "" {
		t.Errorf("locate (-want +got):\n%s", diff)
	}
	// The default registry serves names without a registry part.
	if got := conf.locate("admin-api"); got.Endpoint.Name != "ECR" || got.Repository != "admin-api" {
		t.Errorf("locate(admin-api) = %+v, want ECR's admin-api", got)
	}
}

func TestParseRegistriesConfErrors(t *testing.T) {
	tests := []struct{ name, conf, wantIn string }{
		{"unknown key", "registries:\n- name: a\n  api_url: https://a.io\n  colour: red\n", "colour"},
		{"no name", "registries:\n- api_url: https://a.io\n", "name is required"},
		{"no api_url", "registries:\n- name: a\n", "api_url"},
		{"two without prefix", "registries:\n- name: a\n  api_url: https://a.io\n- name: b\n  api_url: https://b.io\n", "no prefix"},
		{"two defaults", "registries:\n- {name: a, api_url: 'https://a.io', prefix: a.io, default: true}\n- {name: b, api_url: 'https://b.io', prefix: b.io, default: true}\n", "default"},
		{"bad credsexpire", "registries:\n- {name: a, api_url: 'https://a.io', credsexpire: soon}\n", "credsexpire"},
		{"bad credentials", "registries:\n- {name: a, api_url: 'https://a.io', credentials: 'ext:relative.sh'}\n", "absolute"},
		{"bad tagsortmode", "registries:\n- {name: a, api_url: 'https://a.io', tagsortmode: random}\n", "tagsortmode"},
		{"negative limit", "registries:\n- {name: a, api_url: 'https://a.io', limit: -1}\n", "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRegistriesConf([]byte(tt.conf))
			if err == nil || !strings.Contains(err.Error(), tt.wantIn) {
				t.Errorf("ParseRegistriesConf error = %v, want one mentioning %q", err, tt.wantIn)
			}
		})
	}
}

func TestLocate(t *testing.T) {
	conf := &RegistriesConf{Registries: []RegistryConfig{
		{Name: "GHCR", APIURL: "https://ghcr.io", Prefix: "ghcr.io", Limit: 5},
		{Name: "GHCR org", APIURL: "https://ghcr.io", Prefix: "ghcr.io/org", Credentials: "env:ORG"},
		{Name: "local", APIURL: "http://127.0.0.1:5000", Prefix: "127.0.0.1:5000", DefaultNS: "team"},
	}}
	tests := []struct {
		image         string
		wantName      string
		wantHost      string
		wantRepo      string
		wantCanonical string
		wantPlain     bool
	}{
		{"nginx", "Docker Hub", "registry-1.docker.io", "library/nginx", "docker.io/library/nginx", false},
		{"docker.io/nginx", "Docker Hub", "registry-1.docker.io", "library/nginx", "docker.io/library/nginx", false},
		{"index.docker.io/bitnami/redis", "Docker Hub", "registry-1.docker.io", "bitnami/redis", "docker.io/bitnami/redis", false},
		{"ghcr.io/other/app", "GHCR", "ghcr.io", "other/app", "ghcr.io/other/app", false},
		{"ghcr.io/org/app", "GHCR org", "ghcr.io", "org/app", "ghcr.io/org/app", false},
		{"ghcr.io/organisation/app", "GHCR", "ghcr.io", "organisation/app", "ghcr.io/organisation/app", false},
		{"127.0.0.1:5000/app", "local", "127.0.0.1:5000", "team/app", "127.0.0.1:5000/team/app", true},
		{"quay.io/x/y", "quay.io", "quay.io", "x/y", "quay.io/x/y", false},
		{"localhost/x", "localhost", "localhost", "x", "localhost/x", false},
	}
	for _, tt := range tests {
		got := conf.locate(tt.image)
		type seen struct {
			Name, Host, Repo, Canonical string
			Plain                       bool
		}
		want := seen{tt.wantName, tt.wantHost, tt.wantRepo, tt.wantCanonical, tt.wantPlain}
		if diff := cmp.Diff(want, seen{got.Endpoint.Name, got.Endpoint.Host, got.Repository, got.Canonical(), got.Endpoint.PlainHTTP}); diff != "" {
			t.Errorf("locate(%s) (-want +got):\n%s", tt.image, diff)
		}
	}
	if got := conf.locate("ghcr.io/other/app").Endpoint.Limit; got != 5 {
		t.Errorf("GHCR limit = %d, want 5", got)
	}
	if got := conf.locate("ghcr.io/org/app").Endpoint.Limit; got != DefaultRateLimit {
		t.Errorf("GHCR org limit = %d, want the default %d", got, DefaultRateLimit)
	}
}

func FuzzParseRegistriesConf(f *testing.F) {
	f.Add([]byte(articleRegistries))
	f.Add([]byte("registries:\n- {name: a, api_url: 'http://a:1', prefix: a, limit: 3, tagsortmode: latest-first}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		conf, err := ParseRegistriesConf(data)
		if err != nil {
			return
		}
		for _, r := range conf.Registries {
			if ep := endpointOf(r); ep.Host == "" || ep.Limit <= 0 {
				t.Fatalf("accepted entry %+v gives endpoint %+v", r, ep)
			}
		}
		_ = conf.locate("x/y")
	})
}

func TestParseRegistriesConfCAFile(t *testing.T) {
	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	conf, err := ParseRegistriesConf([]byte("registries:\n- {name: a, api_url: 'https://a.io', prefix: a.io, ca_file: '" + ca + "'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := conf.locate("a.io/x").Endpoint.CAData; got != "-----BEGIN CERTIFICATE-----\n" {
		t.Errorf("CAData = %q, want the file's content", got)
	}
	if _, err := ParseRegistriesConf([]byte("registries:\n- {name: a, api_url: 'https://a.io', ca_file: '" + ca + ".missing'}\n")); err == nil || !strings.Contains(err.Error(), "ca_file") {
		t.Errorf("missing ca_file: error = %v, want one naming ca_file", err)
	}
}
