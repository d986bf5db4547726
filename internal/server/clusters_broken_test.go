package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// A cluster Secret whose config is not JSON is never rewritten: neither
// through the API nor when writeCluster is handed it, which would take
// the config for empty and drop the credentials it holds.
func TestClusterBrokenConfigIsKept(t *testing.T) {
	e := newResEnv(t)
	const server = "https://broken.example:6443"
	broken := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: e.ns, Name: clusterSecretName(server),
			Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster},
		},
		StringData: map[string]string{"server": server, "name": "broken", "config": `{"bearerToken": "tok-keep"`},
	}
	ctx := context.Background()
	if err := e.client.Create(ctx, broken); err != nil {
		t.Fatal(err)
	}
	want := stringData(storedClusterSecret(t, e, server))
	body := map[string]any{"server": server, "name": "renamed", "config": map[string]any{"tlsClientConfig": map[string]any{"insecure": true}}}

	if code, out := e.do(t, "admin", "PUT", "/api/v1/clusters/"+url.PathEscape(server), body); code == http.StatusOK {
		t.Errorf("full update through the API: %d %s, want an error", code, out)
	}
	if code, out := e.do(t, "admin", "POST", "/api/v1/clusters?upsert=true", body); code == http.StatusOK {
		t.Errorf("upsert through the API: %d %s, want an error", code, out)
	}

	rec := httptest.NewRecorder()
	r := httptest.NewRequest("PUT", "/api/v1/clusters/"+url.PathEscape(server), nil).WithContext(ctx)
	e.api.writeCluster(rec, r, storedClusterSecret(t, e, server), clusterRequest{Server: server, Name: "renamed"})
	if out := rec.Body.String(); rec.Code != http.StatusInternalServerError || !strings.Contains(out, "cluster Secret "+broken.Name+": key config is not valid JSON") {
		t.Errorf("write over the broken Secret: %d %s, want 500 naming the Secret", rec.Code, out)
	}
	if diff := cmp.Diff(want, stringData(storedClusterSecret(t, e, server))); diff != "" {
		t.Errorf("the broken Secret changed (-want +got):\n%s", diff)
	}
}
