package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestClusterSet adds a cluster with labels, annotations, a shard and a
// project, then changes its fields with cluster set, through the server
// and with --core: each time the cluster Secret holds what the flags said,
// the fields not named are kept, and so is the token.
func TestClusterSet(t *testing.T) {
	s := newCLIServer(t, false)
	s.login(t)
	kubeconfig := secondContext(t, "meta")
	server := env.Config().Host

	s.must(t, "cluster", "add", "meta", "--kubeconfig", kubeconfig, "--service-account", "meta-manager", "--yes",
		"--label", "env=prod", "--label", "capstan.dev/tier=web", "--annotation", "owner=ops team", "--shard", "2", "--project", "team")
	added := clusterSecret(t, s, "meta")
	wantLabels := map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster, "env": "prod", "capstan.dev/tier": "web"}
	if diff := cmp.Diff(wantLabels, added.Labels); diff != "" {
		t.Errorf("labels of the added cluster (-want +got):\n%s", diff)
	}
	if added.Annotations["owner"] != "ops team" {
		t.Errorf("annotations of the added cluster: %v", added.Annotations)
	}
	if got := secretStrings(added, "server", "shard", "project"); !slices.Equal(got, []string{server, "2", "team"}) {
		t.Errorf("server, shard, project of the added cluster: %q", got)
	}
	if who := whoAmI(t, added); who != "system:serviceaccount:kube-system:meta-manager" {
		t.Errorf("the added cluster's token authenticates as %q", who)
	}

	out := s.must(t, "cluster", "set", "meta", "--name", "meta2", "--namespace", "a", "--namespace", "b",
		"--cluster-resources", "--label", "env=stage", "--shard", "0")
	if !strings.Contains(out, "Cluster 'meta' updated.") {
		t.Errorf("cluster set printed:\n%s", out)
	}
	set := clusterSecret(t, s, "meta2")
	if got := secretStrings(set, "namespaces", "clusterResources", "shard", "project", "config"); !slices.Equal(got, []string{"a,b", "true", "0", "team", string(added.Data["config"])}) {
		t.Errorf("namespaces, clusterResources, shard, project, config after cluster set: %q", got)
	}
	if diff := cmp.Diff(map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster, "env": "stage"}, set.Labels); diff != "" {
		t.Errorf("--label replaces the labels (-want +got):\n%s", diff)
	}
	if set.Annotations["owner"] != "ops team" {
		t.Errorf("cluster set without --annotation lost them: %v", set.Annotations)
	}

	// By server URL, clearing: every namespace, no shard, no project.
	s.must(t, "cluster", "set", server, "--namespace", "", "--shard", "-1", "--project", "", "--label", "")
	cleared := clusterSecret(t, s, "meta2")
	for _, k := range []string{"namespaces", "shard", "project"} {
		if v, ok := cleared.Data[k]; ok {
			t.Errorf("cluster set cleared %s, but the Secret holds %q", k, v)
		}
	}
	if _, ok := cleared.Labels["env"]; ok {
		t.Errorf("--label '' left labels: %v", cleared.Labels)
	}

	if out, err := s.run(t, "", "cluster", "set", "meta2"); err == nil || !strings.Contains(err.Error(), "nothing to change") {
		t.Errorf("cluster set without a flag: %v\n%s", err, out)
	}
	if out, err := s.run(t, "", "cluster", "set", "nope", "--name", "x"); err == nil || !strings.Contains(err.Error(), "cluster nope not found") {
		t.Errorf("cluster set of a missing cluster: %v\n%s", err, out)
	}
	if out, err := s.run(t, "", "cluster", "set", "in-cluster", "--namespace", "a"); err == nil || !strings.Contains(err.Error(), "the in-cluster destination has no Secret") {
		t.Errorf("cluster set of the in-cluster destination without a Secret: %v\n%s", err, out)
	}
	if out, err := s.run(t, "", "cluster", "set", "meta2", "--label", "a b=c"); err == nil || !strings.Contains(err.Error(), `--label "a b=c"`) {
		t.Errorf("cluster set of a bad label: %v\n%s", err, out)
	}

	if out, err := runCLI(t, "", "cluster", "set", "meta2", "--kubeconfig", env.Cluster.Kubeconfig, "--core", "--core-namespace", s.namespace,
		"--annotation", "owner=core"); err != nil {
		t.Fatalf("cluster set --core: %v\n%s", err, out)
	}
	if got := clusterSecret(t, s, "meta2"); got.Annotations["owner"] != "core" || string(got.Data["config"]) != string(added.Data["config"]) {
		t.Errorf("after cluster set --core: annotations %v, config kept %v", got.Annotations, string(got.Data["config"]) == string(added.Data["config"]))
	}
}

// secretStrings are the values of keys in a Secret's data.
func secretStrings(s *corev1.Secret, keys ...string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = string(s.Data[k])
	}
	return out
}
