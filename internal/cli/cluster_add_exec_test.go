package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TestClusterAddExec registers clusters reached through an exec
// credential plugin and through AWS: the config says so, faithfully,
// nothing is created in the cluster, and the plugin's environment is not
// answered by the API.
func TestClusterAddExec(t *testing.T) {
	s := newCLIServer(t, false)
	s.login(t)
	kubeconfig := secondContext(t, "exec")
	cs := kubernetes.NewForConfigOrDie(env.Config())
	before := serviceAccounts(t, cs)

	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--exec-command", "creds", "--aws-cluster-name", "eks"}, "give one"},
		{[]string{"--aws-role-arn", "arn:aws:iam::1:role/r"}, "--aws-role-arn needs --aws-cluster-name"},
		{[]string{"--exec-command-args", "x"}, "--exec-command-args needs --exec-command"},
		{[]string{"--exec-command", "creds", "--service-account", "x"}, "--service-account has no use"},
	} {
		args := append([]string{"cluster", "add", "exec", "--kubeconfig", kubeconfig, "--yes"}, bad.args...)
		if out, err := s.run(t, "", args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("capstan %s: %v, want %q\n%s", strings.Join(args, " "), err, bad.want, out)
		}
	}

	s.must(t, "cluster", "add", "exec", "--kubeconfig", kubeconfig, "--name", "plugin", "--in-cluster",
		"--exec-command", "creds", "--exec-command-args", "token", "--exec-command-args", "--json",
		"--exec-command-env", "REGION=eu,SECRET=hush", "--exec-command-api-version", "client.authentication.k8s.io/v1",
		"--exec-command-install-hint", "install creds")
	var cfg map[string]any
	if err := json.Unmarshal(clusterSecret(t, s, "plugin").Data["config"], &cfg); err != nil {
		t.Fatal(err)
	}
	wantExec := map[string]any{"command": "creds", "args": []any{"token", "--json"}, "env": map[string]any{"REGION": "eu", "SECRET": "hush"},
		"apiVersion": "client.authentication.k8s.io/v1", "installHint": "install creds"}
	if diff := cmp.Diff(wantExec, cfg["execProviderConfig"]); diff != "" {
		t.Errorf("execProviderConfig (-want +got):\n%s", diff)
	}
	if _, ok := cfg["bearerToken"]; ok {
		t.Errorf("a cluster added with --exec-command has a bearer token: %v", cfg)
	}
	if out := s.must(t, "cluster", "get", "plugin", "-o", "json"); strings.Contains(out, "hush") || !strings.Contains(out, `"command": "creds"`) {
		t.Errorf("cluster get of an exec cluster:\n%s", out)
	}

	s.must(t, "cluster", "add", "exec", "--kubeconfig", kubeconfig, "--name", "eks", "--in-cluster", "--upsert",
		"--aws-cluster-name", "eks-prod", "--aws-role-arn", "arn:aws:iam::1:role/deploy", "--aws-profile", "ops")
	cfg = nil
	if err := json.Unmarshal(clusterSecret(t, s, "eks").Data["config"], &cfg); err != nil {
		t.Fatal(err)
	}
	wantAWS := map[string]any{"clusterName": "eks-prod", "roleARN": "arn:aws:iam::1:role/deploy", "profile": "ops"}
	if diff := cmp.Diff(wantAWS, cfg["awsAuthConfig"]); diff != "" {
		t.Errorf("awsAuthConfig (-want +got):\n%s", diff)
	}
	if _, ok := cfg["execProviderConfig"]; ok {
		t.Errorf("--upsert with AWS kept the exec configuration: %v", cfg)
	}
	if after := serviceAccounts(t, cs); !slices.Equal(before, after) {
		t.Errorf("cluster add with exec or AWS created ServiceAccounts in kube-system: %v, then %v", before, after)
	}
}

// serviceAccounts are the names of kube-system's ServiceAccounts.
func serviceAccounts(t *testing.T, cs kubernetes.Interface) []string {
	t.Helper()
	list, err := cs.CoreV1().ServiceAccounts("kube-system").List(t.Context(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, sa := range list.Items {
		out = append(out, sa.Name)
	}
	return out
}
