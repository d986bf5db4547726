package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authnv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/clusterauth"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

func TestClusterAddRequest(t *testing.T) {
	target := &rest.Config{Host: "https://10.0.0.1:6443/", TLSClientConfig: rest.TLSClientConfig{CAData: []byte("CA"), ServerName: "api"}}
	tls := map[string]any{"caData": "Q0E=", "serverName": "api"}
	shard := int64(2)
	tests := []struct {
		name  string
		input clusterAddOptions
		want  clusterRequest
	}{
		{
			name:  "named after the context",
			input: clusterAddOptions{shard: -1},
			want:  clusterRequest{Server: "https://10.0.0.1:6443", Name: "prod", Config: map[string]any{"bearerToken": "tok", "tlsClientConfig": tls}},
		},
		{
			name:  "in-cluster, namespaced, named",
			input: clusterAddOptions{name: "here", inCluster: true, namespaces: []string{"a", "b"}, clusterResources: true, project: "team", shard: -1},
			want: clusterRequest{Server: "https://kubernetes.default.svc", Name: "here", Config: map[string]any{"bearerToken": "tok", "tlsClientConfig": tls},
				Namespaces: []string{"a", "b"}, ClusterResources: true, Project: "team"},
		},
		{
			name: "labels, annotations, shard",
			input: clusterAddOptions{shard: 2, labels: []string{"env=prod", "capstan.dev/tier="},
				annotations: []string{"owner=team a", "note=x=y"}},
			want: clusterRequest{Server: "https://10.0.0.1:6443", Name: "prod", Config: map[string]any{"bearerToken": "tok", "tlsClientConfig": tls},
				Shard: &shard, Labels: map[string]string{"env": "prod", "capstan.dev/tier": ""},
				Annotations: map[string]string{"owner": "team a", "note": "x=y"}},
		},
		{
			name: "exec command, no token",
			input: clusterAddOptions{shard: -1, exec: execProviderConfig{Command: "creds", Args: []string{"get", "--json"},
				Env: map[string]string{"REGION": "eu"}, APIVersion: "client.authentication.k8s.io/v1", InstallHint: "install creds"}},
			want: clusterRequest{Server: "https://10.0.0.1:6443", Name: "prod", Config: map[string]any{"tlsClientConfig": tls,
				"execProviderConfig": execProviderConfig{Command: "creds", Args: []string{"get", "--json"},
					Env: map[string]string{"REGION": "eu"}, APIVersion: "client.authentication.k8s.io/v1", InstallHint: "install creds"}}},
		},
		{
			name:  "AWS, no token",
			input: clusterAddOptions{shard: -1, aws: awsAuthConfig{ClusterName: "eks-prod", RoleARN: "arn:aws:iam::1:role/deploy", Profile: "ops"}},
			want: clusterRequest{Server: "https://10.0.0.1:6443", Name: "prod", Config: map[string]any{"tlsClientConfig": tls,
				"awsAuthConfig": awsAuthConfig{ClusterName: "eks-prod", RoleARN: "arn:aws:iam::1:role/deploy", Profile: "ops"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			token := "tok"
			if tt.input.exec.set() || tt.input.aws.set() {
				token = ""
			}
			got, err := tt.input.request("prod", target, token)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestClusterAddRefusesBadMetadata(t *testing.T) {
	tests := []struct {
		name  string
		input clusterAddOptions
		want  string
	}{
		{name: "no value", input: clusterAddOptions{labels: []string{"env"}}, want: `--label "env": want KEY=VALUE`},
		{name: "no key", input: clusterAddOptions{annotations: []string{"=x"}}, want: `--annotation "=x": want KEY=VALUE`},
		{name: "bad label key", input: clusterAddOptions{labels: []string{"a b=c"}}, want: `--label "a b=c": name part must consist of`},
		{name: "bad label value", input: clusterAddOptions{labels: []string{"a=b c"}}, want: `--label "a=b c": a valid label must be`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.input.request("prod", &rest.Config{Host: "https://x"}, "tok")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestClusterAddRefusesBadMetadataFirst gives cluster add a label the
// server would refuse: it is refused before anything is created in the
// cluster, so no ServiceAccount is left behind.
func TestClusterAddRefusesBadMetadataFirst(t *testing.T) {
	s := newCLIServer(t, false)
	s.login(t)
	kubeconfig := secondContext(t, "badlabel")
	cs := kubernetes.NewForConfigOrDie(env.Config())
	for _, bad := range [][]string{{"--label", "a b=c"}, {"--annotation", "=x"}} {
		args := append([]string{"cluster", "add", "badlabel", "--kubeconfig", kubeconfig, "--yes", "--service-account", "bad-metadata"}, bad...)
		if out, err := s.run(t, "", args...); err == nil || !strings.Contains(err.Error(), bad[0]+" ") {
			t.Errorf("capstan %s: %v, want the %s refused\n%s", strings.Join(args, " "), err, bad[0], out)
		}
		if _, err := cs.CoreV1().ServiceAccounts("kube-system").Get(t.Context(), "bad-metadata", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("cluster add with %s %q created the ServiceAccount before refusing it (get: %v)", bad[0], bad[1], err)
		}
	}
}

// TestClusterAdd adds the test cluster again, under a second kubeconfig
// context, through a real server and controller: the ServiceAccount, its
// binding and token exist, the stored token authenticates as it, and an
// Application whose destination names the new cluster syncs through it.
// --core registers it too. With --namespace the ServiceAccount gets rights there only.
func TestClusterAdd(t *testing.T) {
	s := newCLIServer(t, true)
	s.login(t)
	kubeconfig := secondContext(t, "second")
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := t.Context()

	out, err := s.run(t, "", "cluster", "add", "nope", "--kubeconfig", kubeconfig, "--yes")
	if err == nil || !strings.Contains(err.Error(), "context nope does not exist in the kubeconfig") {
		t.Errorf("cluster add of a missing context: %v\n%s", err, out)
	}
	out, err = s.run(t, "n\n", "cluster", "add", "second", "--kubeconfig", kubeconfig, "--name", "twin")
	if err != nil || !strings.Contains(out, "Continue? [y/N]") || !strings.Contains(out, "Cluster not added") {
		t.Errorf("cluster add answered no: %v\n%s", err, out)
	}
	if _, err := cs.CoreV1().ServiceAccounts("kube-system").Get(ctx, clusterauth.DefaultServiceAccount, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("cluster add answered no created the ServiceAccount: %v", err)
	}

	out = s.must(t, "cluster", "add", "second", "--kubeconfig", kubeconfig, "--name", "twin", "--yes")
	if !strings.Contains(out, "Cluster '"+env.Config().Host+"' added") {
		t.Errorf("cluster add printed:\n%s", out)
	}
	binding, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, "argocd-manager-role-binding", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	wantSubject := []rbacv1.Subject{{Kind: "ServiceAccount", Name: clusterauth.DefaultServiceAccount, Namespace: "kube-system"}}
	if diff := cmp.Diff(wantSubject, binding.Subjects); diff != "" || binding.RoleRef.Name != "argocd-manager-role" {
		t.Errorf("ClusterRoleBinding binds %s to (-want +got):\n%s", binding.RoleRef.Name, diff)
	}
	token, err := cs.CoreV1().Secrets("kube-system").Get(ctx, "argocd-manager-long-lived-token", metav1.GetOptions{})
	if err != nil || token.Type != corev1.SecretTypeServiceAccountToken {
		t.Fatalf("token Secret: %v", err)
	}

	stored := clusterSecret(t, s, "twin")
	if stored.Data["server"] == nil || string(stored.Data["server"]) != env.Config().Host {
		t.Errorf("cluster Secret server %q, want %q", stored.Data["server"], env.Config().Host)
	}
	if who := whoAmI(t, stored); who != "system:serviceaccount:kube-system:argocd-manager" {
		t.Errorf("the stored token authenticates as %q", who)
	}
	if out := s.must(t, "cluster", "list"); !strings.Contains(out, "twin") {
		t.Errorf("cluster list:\n%s", out)
	}
	// Once more: the same cluster, nothing to change.
	s.must(t, "cluster", "add", "second", "--kubeconfig", kubeconfig, "--name", "twin", "--yes")

	_, dest := syncToCluster(t, s, "twin")
	if app := s.getApp(t, "twin"); app.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced {
		t.Errorf("the app on cluster twin: sync %s", app.Status.Sync.Status)
	}
	if _, err := cs.CoreV1().ConfigMaps(dest).Get(ctx, "web-settings", metav1.GetOptions{}); err != nil {
		t.Errorf("the app on cluster twin applied nothing: %v", err)
	}

	// --core writes the cluster Secret through the Kubernetes API; the
	// server's cluster differs (another name): --upsert replaces it.
	if out, err := runCLI(t, "", "cluster", "add", "second", "--kubeconfig", kubeconfig, "--core", "--core-namespace", s.namespace,
		"--name", "core-twin", "--yes", "--upsert"); err != nil {
		t.Fatalf("cluster add --core: %v\n%s", err, out)
	}
	if who := whoAmI(t, clusterSecret(t, s, "core-twin")); who != "system:serviceaccount:kube-system:argocd-manager" {
		t.Errorf("the token stored with --core authenticates as %q", who)
	}
	// Removing the cluster leaves the ServiceAccount, which an Argo CD
	// beside capstan may share.
	s.must(t, "cluster", "rm", "core-twin")
	if _, err := cs.CoreV1().ServiceAccounts("kube-system").Get(ctx, clusterauth.DefaultServiceAccount, metav1.GetOptions{}); err != nil {
		t.Errorf("cluster rm: the ServiceAccount: %v", err)
	}

	// --namespace: a Role in each namespace, no ClusterRole binding; the
	// ServiceAccount in --system-namespace.
	s.must(t, "cluster", "add", "second", "--kubeconfig", kubeconfig, "--name", "scoped", "--in-cluster",
		"--service-account", "scoped-manager", "--system-namespace", dest, "--namespace", dest, "--yes", "--upsert")
	if _, err := cs.RbacV1().RoleBindings(dest).Get(ctx, "scoped-manager-role-binding", metav1.GetOptions{}); err != nil {
		t.Errorf("RoleBinding in %s: %v", dest, err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, "scoped-manager-role-binding", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("cluster add --namespace bound a ClusterRole: %v", err)
	}
	scoped := clusterSecret(t, s, "scoped")
	if string(scoped.Data["server"]) != "https://kubernetes.default.svc" || string(scoped.Data["namespaces"]) != dest {
		t.Errorf("cluster Secret of --in-cluster --namespace: server %q, namespaces %q", scoped.Data["server"], scoped.Data["namespaces"])
	}
	if who := whoAmI(t, scoped); who != "system:serviceaccount:"+dest+":scoped-manager" {
		t.Errorf("the scoped token authenticates as %q", who)
	}
	sc := kubernetes.NewForConfigOrDie(tokenConfig(t, scoped))
	if _, err := sc.CoreV1().ConfigMaps(dest).List(ctx, metav1.ListOptions{}); err != nil {
		t.Errorf("the scoped token cannot list its namespace: %v", err)
	}
	if _, err := sc.CoreV1().ConfigMaps(s.namespace).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
		t.Errorf("the scoped token lists another namespace: %v", err)
	}
}

// syncToCluster creates the app name, a ConfigMap web-settings from a
// repository of its own, on the cluster of the same name, and syncs it.
// It returns the repository and the app's namespace.
func syncToCluster(t *testing.T, s *cliServer, name string) (*gitserver.Repo, string) {
	t.Helper()
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	repo.Commit(t, "main", map[string]string{"cm/settings.yaml": webConfigMap}, "v1")
	repo.SetHead(t, "main")
	dest := s.namespace + "-" + name
	s.must(t, "app", "create", name, "--repo", repo.URL(), "--path", "cm", "--revision", "main",
		"--dest-name", name, "--dest-namespace", dest, "--sync-option", "CreateNamespace=true")
	s.must(t, "app", "sync", name, "--timeout", "120")
	return repo, dest
}

// secondContext writes a kubeconfig of the test cluster with one more
// context, name, the same as the current one.
func secondContext(t *testing.T, name string) string {
	t.Helper()
	cfg, err := clientcmd.LoadFromFile(env.Cluster.Kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	current := *cfg.Contexts[cfg.CurrentContext]
	cfg.Contexts[name] = &current
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// clusterSecret is the cluster Secret of the server's namespace named
// name, once the API wrote it.
func clusterSecret(t *testing.T, s *cliServer, name string) *corev1.Secret {
	t.Helper()
	var list corev1.SecretList
	if err := s.direct.List(t.Context(), &list, client.InNamespace(s.namespace), client.MatchingLabels{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}); err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if string(list.Items[i].Data["name"]) == name {
			return &list.Items[i]
		}
	}
	t.Fatalf("no cluster Secret named %s", name)
	return nil
}

// tokenConfig reaches the test cluster with the bearer token and CA of a
// cluster Secret's config.
func tokenConfig(t *testing.T, s *corev1.Secret) *rest.Config {
	t.Helper()
	var cfg struct {
		BearerToken     string `json:"bearerToken"`
		TLSClientConfig struct {
			CAData []byte `json:"caData"`
		} `json:"tlsClientConfig"`
	}
	if err := json.Unmarshal(s.Data["config"], &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.BearerToken == "" || len(cfg.TLSClientConfig.CAData) == 0 {
		t.Fatalf("cluster Secret %s has no token or no CA: %s", s.Name, s.Data["config"])
	}
	return &rest.Config{Host: env.Config().Host, BearerToken: cfg.BearerToken, TLSClientConfig: rest.TLSClientConfig{CAData: cfg.TLSClientConfig.CAData}}
}

// whoAmI is the user the cluster Secret's token authenticates as.
func whoAmI(t *testing.T, s *corev1.Secret) string {
	t.Helper()
	review, err := kubernetes.NewForConfigOrDie(tokenConfig(t, s)).AuthenticationV1().SelfSubjectReviews().
		Create(t.Context(), &authnv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return review.Status.UserInfo.Username
}
