package application

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/settings"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
	"github.com/capstan-cd/capstan/internal/testenv/testca"
)

// TestRepositoryTrustFollowsConfigMaps syncs from an SSH repository and
// from an HTTPS one with a private CA: each is refused while its host key
// or CA is missing, and synced once argocd-ssh-known-hosts-cm or
// argocd-tls-certs-cm, written while the controller runs, trusts it.
func TestRepositoryTrustFollowsConfigMaps(t *testing.T) {
	cl, setConfigMap := startTrustController(t)
	sshSrv := gitserver.NewSSH(t)
	ca := testca.New(t, "capstan test CA")
	tlsSrv := gitserver.NewHTTP(t, gitserver.WithCA(ca, nil))
	for _, r := range []*gitserver.Repo{sshSrv.NewRepo(t, "trusted"), tlsSrv.NewRepo(t, "trusted")} {
		r.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": deploymentYAML("trusted-web", "registry.invalid/web:1", 1)}, "web")
		r.SetHead(t, "main")
	}
	apps := []struct {
		name, url string
		secret    map[string]string
		refusal   string
	}{
		{"trust-ssh", sshSrv.RepoURL("trusted"), map[string]string{"sshPrivateKey": sshSrv.ClientKey}, settings.KnownHosts},
		{"trust-tls", tlsSrv.RepoURL("trusted"), map[string]string{"username": tlsSrv.Username, "password": tlsSrv.Password}, "certificate"},
	}
	for _, a := range apps {
		data := map[string]string{"url": a.url}
		for k, v := range a.secret {
			data[k] = v
		}
		createObject(t, cl, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: a.name, Namespace: controlPlane, Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}},
			StringData: data,
		})
		createObject(t, cl, seedApp(a.name, a.url, a.name))
	}
	for _, a := range apps {
		waitFor(t, a.name+" refused", func(ctx context.Context) (bool, error) {
			for _, c := range appStatus(t, cl, a.name).Status.Conditions {
				if c.Type == v1alpha1.ApplicationConditionComparisonError && strings.Contains(c.Message, a.refusal) {
					return true, nil
				}
			}
			return false, nil
		})
	}

	setConfigMap(settings.KnownHosts, map[string]string{settings.KeySSHKnownHosts: sshSrv.KnownHosts()})
	setConfigMap(settings.TLSCerts, map[string]string{"127.0.0.1": ca.PEM})
	for _, a := range apps {
		waitFor(t, a.name+" Synced and Healthy", func(ctx context.Context) (bool, error) {
			app := appStatus(t, cl, a.name)
			return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && app.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
		})
	}
}

// startTrustController starts the controller with the watched settings of
// the control-plane namespace, its Git and Charts trusting what they say.
// It returns a function that writes a ConfigMap's data; the ConfigMaps it
// wrote are deleted when the test ends.
func startTrustController(t *testing.T) (client.Client, func(name string, data map[string]string)) {
	t.Helper()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}}, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	w, err := settings.Watch(ctx, env.Config(), controlPlane)
	if err != nil {
		t.Fatal(err)
	}
	git, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir(), PollInterval: 500 * time.Millisecond, Trust: w})
	if err != nil {
		t.Fatal(err)
	}
	charts, err := source.NewCharts(source.ChartsOptions{CacheDir: t.TempDir(), Trust: w})
	if err != nil {
		t.Fatal(err)
	}
	cl, _ := startConfiguredController(t, func(r *Reconciler) {
		r.Settings = w
		r.Fetcher = &source.Fetcher{Git: git, Charts: charts}
	})
	set := func(name string, data map[string]string) {
		t.Helper()
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controlPlane}, Data: data}
		if _, err := cs.CoreV1().ConfigMaps(controlPlane).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_ = cs.CoreV1().ConfigMaps(controlPlane).Delete(context.Background(), name, metav1.DeleteOptions{})
		})
	}
	return cl, set
}

// createObject creates obj, deleted when the test ends.
func createObject(t *testing.T, cl client.Client, obj client.Object) {
	t.Helper()
	if err := cl.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Delete(context.Background(), obj) })
}

// TestRepositorySecretTrustKeys syncs from three repositories that need
// what their Secrets say: a client certificate (mutual TLS), a GitHub App
// installation token, and a proxy, which counts what it carried.
func TestRepositorySecretTrustKeys(t *testing.T) {
	cl, setConfigMap := startTrustController(t)
	ca, clients := testca.New(t, "server CA"), testca.New(t, "client CA")
	cert, key := clients.ClientCert(t, "capstan")
	mtls := gitserver.NewHTTP(t, gitserver.WithCA(ca, clients))
	github := gitserver.NewHTTP(t)
	app := github.NewGitHubApp(t, nil)
	proxied := gitserver.NewHTTP(t)
	proxy := gitserver.NewProxy(t)
	setConfigMap(settings.TLSCerts, map[string]string{"127.0.0.1": ca.PEM})
	for _, srv := range []*gitserver.HTTPServer{mtls, github, proxied} {
		r := srv.NewRepo(t, "keys")
		r.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": deploymentYAML("keys-web", "registry.invalid/web:1", 1)}, "web")
		r.SetHead(t, "main")
	}
	apps := []struct {
		name, url, kind string
		secret          map[string]string
	}{
		{"keys-mtls", mtls.RepoURL("keys"), v1alpha1.SecretTypeRepository, map[string]string{
			"url": mtls.RepoURL("keys"), "username": mtls.Username, "password": mtls.Password, "tlsClientCertData": cert, "tlsClientCertKey": key,
		}},
		{"keys-github", github.RepoURL("keys"), v1alpha1.SecretTypeRepoCreds, map[string]string{
			"url": github.URL, "githubAppID": app.AppID, "githubAppInstallationID": app.InstallationID,
			"githubAppPrivateKey": app.PrivateKey, "githubAppEnterpriseBaseUrl": app.URL,
		}},
		{"keys-proxy", proxied.RepoURL("keys"), v1alpha1.SecretTypeRepository, map[string]string{
			"url": proxied.RepoURL("keys"), "username": proxied.Username, "password": proxied.Password, "proxy": proxy.URL, "noProxy": "git.example",
		}},
	}
	for _, a := range apps {
		createObject(t, cl, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: a.name, Namespace: controlPlane, Labels: map[string]string{v1alpha1.LabelSecretType: a.kind}},
			StringData: a.secret,
		})
		createObject(t, cl, seedApp(a.name, a.url, a.name))
	}
	for _, a := range apps {
		waitFor(t, a.name+" Synced and Healthy", func(ctx context.Context) (bool, error) {
			app := appStatus(t, cl, a.name)
			return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && app.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
		})
	}
	if app.Issued() == 0 {
		t.Error("no GitHub App token was issued")
	}
	if proxy.Requests(strings.TrimPrefix(proxied.URL, "http://")) == 0 {
		t.Error("no request went through the proxy")
	}
}
