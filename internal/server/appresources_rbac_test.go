package server

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cluster"
)

// TestResourceEndpointsUnderRealRBAC runs the resource and repository
// endpoints on the real server (sessions, argocd-rbac-cm, the informer
// cache): a user who may get the project's apps and patch its Deployments
// reads the tree and patches a Deployment, is refused a ConfigMap patch,
// and sees only its project's repositories, without their passwords.
func TestResourceEndpointsUnderRealRBAC(t *testing.T) {
	s := newTestServer(t,
		withAccount("alice", "login", "alice-password"),
		withConfigMap("argocd-rbac-cm", map[string]string{"policy.csv": strings.Join([]string{
			"p, alice, applications, get, default/*, allow",
			"p, alice, applications, update/apps/Deployment/*, default/*, allow",
			"p, alice, repositories, get, team-a/*, allow",
		}, "\n")}))
	s.API.Backends = &Backends{InCluster: env.Config()}
	ctx := context.Background()
	ns := s.Namespace
	objs := []client.Object{
		deployment(tracked("web", "apps", "Deployment", ns, "web")),
		&corev1.ConfigMap{ObjectMeta: tracked("web", "", "ConfigMap", ns, "conf")},
		repoSecretOf(ns, "repo-a", "https://git.example/a.git", "team-a", "pass-of-a"),
		repoSecretOf(ns, "repo-b", "https://git.example/b.git", "team-b", "pass-of-b"),
	}
	for _, o := range objs {
		if err := s.Client.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example/a.git", Path: "app"},
			Destination: v1alpha1.ApplicationDestination{Server: cluster.InClusterServer, Namespace: ns},
		},
	}
	if err := s.Client.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	app.Status.Resources = []v1alpha1.ResourceStatus{{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: ns, Name: "web"}}
	if err := s.Client.Status().Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	alice := s.login(t, "alice", "alice-password")
	call := func(method, path string, body any) (int, string) {
		resp := s.do(t, alice, method, path, body)
		defer resp.Body.Close()
		data, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(data)
	}
	// The server reads through its informer cache: wait until it has the
	// Application's status.
	deadline := time.Now().Add(30 * time.Second)
	for {
		code, body := call("GET", "/api/v1/applications/web/resource-tree", nil)
		if code == http.StatusOK && strings.Contains(body, `"kind":"Deployment"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("resource-tree: %d %s", code, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
	patch := `"{\"metadata\":{\"labels\":{\"patched\":\"yes\"}}}"`
	base := "/api/v1/applications/web/resource?"
	if code, body := call("POST", base+resourceQuery(ns, "apps", "v1", "Deployment", "web"), patch); code != http.StatusOK {
		t.Errorf("patch of the Deployment: %d %s", code, body)
	}
	if code, body := call("POST", base+resourceQuery(ns, "", "v1", "ConfigMap", "conf"), patch); code != http.StatusForbidden {
		t.Errorf("patch of the ConfigMap: %d %s, want 403", code, body)
	}
	if code, body := call("DELETE", base+resourceQuery(ns, "apps", "v1", "Deployment", "web"), nil); code != http.StatusForbidden {
		t.Errorf("delete of the Deployment: %d %s, want 403", code, body)
	}
	var code int
	var body string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if code, body = call("GET", "/api/v1/repositories", nil); strings.Contains(body, "a.git") {
			break
		}
	}
	if code != http.StatusOK || !strings.Contains(body, "a.git") || strings.Contains(body, "b.git") || strings.Contains(body, "pass-of") {
		t.Errorf("alice's repositories: %d %s, want team-a's only, without its password", code, body)
	}
	if code, body := call("GET", "/api/v1/repositories/"+url.PathEscape("https://git.example/b.git"), nil); code != http.StatusForbidden {
		t.Errorf("alice's get of team-b's repository: %d %s, want 403", code, body)
	}
}

func repoSecretOf(ns, name, repoURL, project, password string) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}},
		StringData: map[string]string{"url": repoURL, "project": project, "password": password},
	}
}
