package desired

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
	testregistry "github.com/capstan-cd/capstan/internal/testenv/registry"
)

// packageChart writes a chart that renders one ConfigMap named after it
// and returns its archive.
func packageChart(t *testing.T, name, version, into string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	files := map[string]string{
		"Chart.yaml":               "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n",
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\ndata:\n  version: {{ .Chart.Version | quote }}\n",
	}
	for p, body := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ch, err := loader.LoadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	archive, err := chartutil.Save(ch, into)
	if err != nil {
		t.Fatal(err)
	}
	return archive
}

// privateCharts serves chart "common" from a Helm repository and chart
// "lib" from an OCI registry, both behind basic auth, and returns their
// URLs and the Secrets that hold their credentials.
func privateCharts(t *testing.T) (helmRepo *testregistry.HelmRepo, ociURL string, secrets []corev1.Secret) {
	t.Helper()
	dir := t.TempDir()
	packageChart(t, "common", "1.0.0", dir)
	helmRepo = testregistry.ServeHelmRepo(t, dir, testregistry.HelmRepoOptions{Username: "helm-user", Password: "helm-pw"})
	index, err := repo.IndexDirectory(dir, helmRepo.URL)
	if err != nil {
		t.Fatal(err)
	}
	if err := index.WriteFile(filepath.Join(dir, "index.yaml"), 0o644); err != nil {
		t.Fatal(err)
	}

	reg := testregistry.Start(t, testregistry.Options{TLS: true})
	data, err := os.ReadFile(packageChart(t, "lib", "2.0.0", t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(reg.CAData)
	push, err := registry.NewClient(registry.ClientOptBasicAuth(reg.Username, reg.Password), registry.ClientOptCredentialsFile(filepath.Join(t.TempDir(), "config.json")),
		registry.ClientOptHTTPClient(&http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := push.Push(data, reg.Host+"/charts/lib:2.0.0"); err != nil {
		t.Fatalf("push lib: %v", err)
	}
	secret := func(name, kind string, data map[string]string) corev1.Secret {
		return corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{source.SecretTypeLabel: kind}}, StringData: data}
	}
	secrets = []corev1.Secret{
		secret("common", source.SecretTypeRepository, map[string]string{"url": helmRepo.URL, "type": "helm", "username": "helm-user", "password": "helm-pw"}),
		secret("registry", source.SecretTypeRepoCreds, map[string]string{"url": "oci://" + reg.Host, "type": "helm", "enableOCI": "true",
			// The test registry's certificate is its own.
			"username": reg.Username, "password": reg.Password, "insecure": "true"}),
	}
	return helmRepo, reg.URL("charts"), secrets
}

// TestPrivateHelmDependencies renders an Application whose chart depends
// on a chart of a private Helm repository and one of a private OCI
// registry: with the repository and repo-creds Secrets that match their
// URLs the render holds both; without, it fails naming the dependency;
// with a project whose sourceRepos leave a dependency's repository out, it
// fails before anything is asked of that repository.
func TestPrivateHelmDependencies(t *testing.T) {
	helmRepo, ociURL, secrets := privateCharts(t)
	git := gitserver.NewRepo(t, t.TempDir(), "apps")
	git.Commit(t, "main", map[string]string{
		"app/Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n" +
			"- {name: common, version: ~1.0.0, repository: " + helmRepo.URL + "}\n" +
			"- {name: lib, version: 2.0.0, repository: " + ociURL + "}\n",
	}, "app")
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: "argocd"},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "team",
			Source:      &v1alpha1.ApplicationSource{RepoURL: git.URL(), TargetRevision: "main", Path: "app"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "shop"},
		},
	}
	cache := t.TempDir()
	gits, err := source.NewGit(source.GitOptions{CacheDir: filepath.Join(cache, "git"), AllowFileRepositories: true})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := source.NewCharts(source.ChartsOptions{CacheDir: filepath.Join(cache, "charts")})
	if err != nil {
		t.Fatal(err)
	}
	fetcher := &source.Fetcher{Git: gits, Charts: charts}
	renders := render.NewCache(16)
	build := func(secrets []corev1.Secret, p *v1alpha1.AppProject) (*Desired, error) {
		b := Builder{Fetcher: fetcher, Render: renders.Render, Credentials: source.NewCredentials(secrets), Project: p}
		return b.Build(context.Background(), app, app.Spec.GetSources(), Cluster{})
	}
	project := func(repos ...string) *v1alpha1.AppProject {
		return &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Spec: v1alpha1.AppProjectSpec{SourceRepos: repos}}
	}

	got, err := build(secrets, project(git.URL(), helmRepo.URL, ociURL))
	if err != nil {
		t.Fatalf("render with the repositories' Secrets: %v", err)
	}
	var names []string
	for _, obj := range got.Objects {
		names = append(names, obj.GetName())
	}
	if diff := cmp.Diff([]string{"shop-common", "shop-lib"}, names); diff != "" {
		t.Errorf("objects (-want +got):\n%s", diff)
	}

	anonymous := *secrets[1].DeepCopy()
	delete(anonymous.StringData, "username")
	delete(anonymous.StringData, "password")
	// The charts fetched with the Secrets' credentials are no one else's:
	// without them, each dependency fails, by name.
	for _, tt := range []struct {
		name    string
		secrets []corev1.Secret
		want    string
	}{
		{"no credentials for the Helm repository", secrets[1:], "helm dependency common ~1.0.0 from " + helmRepo.URL},
		{"no credentials for the registry", []corev1.Secret{secrets[0], anonymous}, "helm dependency lib 2.0.0 from " + ociURL},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := build(tt.secrets, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want one starting %q", err, tt.want)
			}
			for _, secret := range []string{"helm-pw", secrets[1].StringData["password"]} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a password: %v", err)
				}
			}
		})
	}

	t.Run("repository outside the project", func(t *testing.T) {
		before := helmRepo.Requests("/index.yaml") + helmRepo.Unauthorized()
		_, err := build(secrets, project(git.URL(), ociURL))
		if err == nil || !strings.Contains(err.Error(), "helm dependency common") || !strings.Contains(err.Error(), "not permitted") {
			t.Fatalf("err = %v; want the dependency common refused by the project", err)
		}
		if after := helmRepo.Requests("/index.yaml") + helmRepo.Unauthorized(); after != before {
			t.Errorf("the Helm repository was asked %d times for a dependency the project refuses", after-before)
		}
	})
}
