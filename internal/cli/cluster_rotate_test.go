package cli

import (
	"strings"
	"testing"

	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/clusterauth"
)

// TestClusterRotateAuth adds a cluster, syncs an app to it, and rotates
// the cluster's token through a real server and controller, then with
// --core: each time the cluster Secret holds a new token of the same
// ServiceAccount and nothing else changed, the old token Secret is gone
// and the cluster refuses the old token, and the controller still syncs
// the app to the cluster with the new one.
func TestClusterRotateAuth(t *testing.T) {
	s := newCLIServer(t, true)
	s.login(t)
	kubeconfig := secondContext(t, "rotating")
	cs := kubernetes.NewForConfigOrDie(env.Config())
	s.must(t, "cluster", "add", "rotating", "--kubeconfig", kubeconfig, "--name", "rotating", "--service-account", "rotate-manager",
		"--label", "env=prod", "--yes")

	repo, dest := syncToCluster(t, s, "rotating")

	rotate := func(mode string, args ...string) {
		t.Helper()
		before := clusterSecret(t, s, "rotating")
		old, err := clusterauth.ParseToken(tokenConfig(t, before).BearerToken)
		if err != nil {
			t.Fatal(err)
		}
		var out string
		if mode == "core" {
			out, err = runCLI(t, "", append(args, "--kubeconfig", env.Cluster.Kubeconfig, "--core", "--core-namespace", s.namespace)...)
		} else {
			out, err = s.run(t, "", args...)
		}
		if err != nil || !strings.Contains(out, "rotated auth") {
			t.Fatalf("%s: capstan %s: %v\n%s", mode, strings.Join(args, " "), err, out)
		}
		after := clusterSecret(t, s, "rotating")
		next, err := clusterauth.ParseToken(tokenConfig(t, after).BearerToken)
		if err != nil {
			t.Fatal(err)
		}
		if next.Name == old.Name || next.ServiceAccount != "rotate-manager" || next.Namespace != "kube-system" {
			t.Errorf("%s: the token Secret was %s, is now %s of ServiceAccount %s", mode, old, next, next.ServiceAccount)
		}
		if who := whoAmI(t, after); who != "system:serviceaccount:kube-system:rotate-manager" {
			t.Errorf("%s: the new token authenticates as %q", mode, who)
		}
		for _, k := range []string{"name", "server"} {
			if string(before.Data[k]) != string(after.Data[k]) {
				t.Errorf("%s: rotate-auth changed %s from %q to %q", mode, k, before.Data[k], after.Data[k])
			}
		}
		if after.Labels["env"] != "prod" || after.Labels[v1alpha1.LabelSecretType] != v1alpha1.SecretTypeCluster {
			t.Errorf("%s: rotate-auth changed the labels: %v", mode, after.Labels)
		}
		if _, err := cs.CoreV1().Secrets(old.Namespace).Get(t.Context(), old.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: the old token Secret %s: %v, want it deleted", mode, old, err)
		}
		// The API server stops accepting a token once it sees its Secret
		// gone, through its informer.
		oldClient := kubernetes.NewForConfigOrDie(tokenConfig(t, before))
		var refused error
		eventually(t, func() bool {
			_, refused = oldClient.AuthenticationV1().SelfSubjectReviews().Create(t.Context(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
			return apierrors.IsUnauthorized(refused)
		})
		if !apierrors.IsUnauthorized(refused) {
			t.Errorf("%s: the old token still authenticates: %v", mode, refused)
		}
	}

	sync := func(mode, color string) {
		t.Helper()
		rev := repo.Commit(t, "main", map[string]string{"cm/settings.yaml": strings.Replace(webConfigMap, "blue", color, 1)}, color)
		s.must(t, "app", "sync", "rotating", "--revision", rev, "--timeout", "120")
		var cm corev1.ConfigMap
		eventually(t, func() bool {
			got, err := cs.CoreV1().ConfigMaps(dest).Get(t.Context(), "web-settings", metav1.GetOptions{})
			if err == nil {
				cm = *got
			}
			return cm.Data["mode"] == color
		})
		if cm.Data["mode"] != color {
			t.Errorf("%s: after rotate-auth the app's ConfigMap says mode %q, want %q", mode, cm.Data["mode"], color)
		}
	}

	rotate("server", "cluster", "rotate-auth", "rotating")
	sync("server", "green")
	rotate("core", "cluster", "rotate-auth", env.Config().Host)
	sync("core", "red")

	// Refusals, naming the cluster: the in-cluster destination has no
	// Secret, and a static token has no Secret to revoke.
	if out, err := s.run(t, "", "cluster", "rotate-auth", "in-cluster"); err == nil || !strings.Contains(err.Error(), "no token to rotate") {
		t.Errorf("rotate-auth of the in-cluster destination: %v\n%s", err, out)
	}
	static := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "static", Namespace: s.namespace, Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}},
		StringData: map[string]string{"name": "static", "server": "https://static.example:6443", "config": `{"bearerToken":"not-a-jwt"}`},
	}
	if err := s.direct.Create(t.Context(), static); err != nil {
		t.Fatal(err)
	}
	var out string
	var err error
	eventually(t, func() bool {
		out, err = s.run(t, "", "cluster", "rotate-auth", "static")
		return err != nil && !strings.Contains(err.Error(), "not found")
	})
	if err == nil || !strings.Contains(err.Error(), "https://static.example:6443: the bearer token is not the token of a ServiceAccount token Secret") {
		t.Errorf("rotate-auth of a static token: %v\n%s", err, out)
	}
}
