package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/cluster"
)

// TestClustersNeverAnswerCredentials registers a cluster with a bearer
// token and a client key: they are stored, kept by an update that leaves
// them out, and never answered; the in-cluster destination is listed and
// cannot be deleted.
func TestClustersNeverAnswerCredentials(t *testing.T) {
	e := newResEnv(t)
	const server = "https://remote.example:6443"
	var answers []string
	call := func(method, target string, body any) (int, string) {
		code, out := e.do(t, "admin", method, target, body)
		answers = append(answers, string(out))
		return code, string(out)
	}
	create := map[string]any{"server": server, "name": "remote", "namespaces": []string{"a", "b"}, "config": map[string]any{
		"bearerToken":     "tok-do-not-show",
		"tlsClientConfig": map[string]any{"keyData": "S0VZLURPLU5PVC1TSE9X", "caData": "Q0E="},
	}}
	if code, out := call("POST", "/api/v1/clusters", create); code != http.StatusOK || !strings.Contains(out, `"caData":"Q0E="`) {
		t.Fatalf("create: %d %s", code, out)
	}
	escaped := "/api/v1/clusters/" + url.PathEscape(server)
	if code, out := call("PUT", escaped, map[string]any{"server": server, "name": "renamed", "config": map[string]any{"tlsClientConfig": map[string]any{"caData": "Q0E="}}}); code != http.StatusOK || !strings.Contains(out, `"name":"renamed"`) {
		t.Errorf("update: %d %s", code, out)
	}
	var list corev1.SecretList
	if err := e.client.List(context.Background(), &list, client.InNamespace(e.ns)); err != nil {
		t.Fatal(err)
	}
	var stored map[string]any
	for _, s := range list.Items {
		if string(s.Data["server"]) == server {
			_ = json.Unmarshal(s.Data["config"], &stored)
		}
	}
	if stored["bearerToken"] != "tok-do-not-show" {
		t.Errorf("the stored config lost its token after an update that left it out: %v", stored)
	}
	code, out := call("GET", "/api/v1/clusters", nil)
	if code != http.StatusOK || !strings.Contains(out, cluster.InClusterServer) || !strings.Contains(out, server) {
		t.Errorf("list: %d %s, want in-cluster and the remote", code, out)
	}
	call("GET", escaped, nil)
	call("GET", "/api/v1/clusters/x?id.type=name&id.value=renamed", nil)
	for _, a := range answers {
		if strings.Contains(a, "tok-do-not-show") || strings.Contains(a, "S0VZLURPLU5PVC1TSE9X") || strings.Contains(a, "bearerToken") {
			t.Fatalf("an answer holds a credential: %s", a)
		}
	}
	if code, out := call("DELETE", "/api/v1/clusters/"+url.PathEscape(cluster.InClusterServer), nil); code != http.StatusBadRequest {
		t.Errorf("delete of in-cluster: %d %s, want 400", code, out)
	}
	if code, out := call("DELETE", escaped, nil); code != http.StatusOK {
		t.Errorf("delete: %d %s", code, out)
	}
}
