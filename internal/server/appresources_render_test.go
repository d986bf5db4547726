package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

const secretManifest = `apiVersion: v1
kind: Secret
metadata:
  name: creds
stringData:
  password: %s
  user: bob
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
`

// TestManifestsAndManagedResourcesMaskSecrets renders a real repository
// with a Secret through /manifests and /managed-resources: the objects
// come back tracked, the Secret's values masked, and a live value equal
// to the desired one gets the same mask so the diff shows no change.
func TestManifestsAndManagedResourcesMaskSecrets(t *testing.T) {
	e := newResEnv(t)
	repo := gitserver.NewRepo(t, t.TempDir(), "app")
	repo.Commit(t, "main", map[string]string{"app/all.yaml": strings.Replace(secretManifest, "%s", "hunter2-in-git", 1)}, "add the app")
	e.create(t, &corev1.Secret{ObjectMeta: tracked("web", "", "Secret", e.ns, "creds"), StringData: map[string]string{"password": "hunter2-in-git", "user": "alice"}})
	e.createApp(t, "web", repo.URL(), "default",
		v1alpha1.ResourceStatus{Version: "v1", Kind: "Secret", Namespace: e.ns, Name: "creds", Status: v1alpha1.SyncStatusCodeOutOfSync})

	code, body := e.do(t, "admin", "GET", "/api/v1/applications/web/manifests", nil)
	if code != http.StatusOK {
		t.Fatalf("manifests: %d %s", code, body)
	}
	var mr manifestResponse
	decode(t, body, &mr)
	if len(mr.Manifests) != 2 || mr.Revision == "" {
		t.Fatalf("manifests = %d objects at %q, want 2 at the commit", len(mr.Manifests), mr.Revision)
	}
	if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "bob") {
		t.Fatalf("manifests hold Secret values: %s", body)
	}
	var secret unstructured.Unstructured
	if err := json.Unmarshal([]byte(mr.Manifests[0]), &secret.Object); err != nil {
		t.Fatal(err)
	}
	if id := secret.GetAnnotations()[v1alpha1.AnnotationTrackingID]; id != "web:/Secret:"+e.ns+"/creds" {
		t.Errorf("rendered Secret tracking-id = %q", id)
	}

	code, body = e.do(t, "admin", "GET", "/api/v1/applications/web/managed-resources", nil)
	if code != http.StatusOK {
		t.Fatalf("managed-resources: %d %s", code, body)
	}
	if strings.Contains(string(body), "hunter2") || strings.Contains(string(body), "alice") || strings.Contains(string(body), "YWxpY2") {
		t.Fatalf("managed-resources hold Secret values: %s", body)
	}
	var diffs struct{ Items []resourceDiff }
	decode(t, body, &diffs)
	if len(diffs.Items) != 2 {
		t.Fatalf("managed-resources = %d items, want 2", len(diffs.Items))
	}
	d := diffs.Items[0]
	if d.Kind != "Secret" || !d.Modified {
		t.Fatalf("first item = %s modified=%v, want the out-of-sync Secret", d.Kind, d.Modified)
	}
	target := dataOf(t, d.TargetState, "data")
	live := dataOf(t, d.LiveState, "data")
	if target["password"] != live["password"] {
		t.Errorf("equal passwords masked differently: target %q, live %q", target["password"], live["password"])
	}
	if target["user"] == live["user"] {
		t.Errorf("different users masked alike: %q", target["user"])
	}
	if diffs.Items[1].Kind != "ConfigMap" || diffs.Items[1].LiveState != "null" {
		t.Errorf("second item = %s live %s, want the ConfigMap not yet created", diffs.Items[1].Kind, diffs.Items[1].LiveState)
	}
}

// dataOf reads a Secret state's field (data or stringData).
func dataOf(t *testing.T, state, field string) map[string]string {
	t.Helper()
	var obj map[string]any
	if err := json.Unmarshal([]byte(state), &obj); err != nil {
		t.Fatalf("state is not JSON: %v: %s", err, state)
	}
	out := map[string]string{}
	m, _ := obj[field].(map[string]any)
	for k, v := range m {
		out[k], _ = v.(string)
	}
	return out
}

// TestRevisionMetadataOfACommit reads the metadata of a real commit of
// the app's repository, by SHA and by tag.
func TestRevisionMetadataOfACommit(t *testing.T) {
	e := newResEnv(t)
	repo := gitserver.NewRepo(t, t.TempDir(), "app")
	sha := repo.Commit(t, "main", map[string]string{"app/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"}, "deploy the first version\n\nwith a body")
	repo.Tag(t, "v1.0.0", sha, true)
	e.createApp(t, "web", repo.URL(), "default")
	for _, rev := range []string{sha, "v1.0.0"} {
		code, body := e.do(t, "admin", "GET", "/api/v1/applications/web/revisions/"+rev+"/metadata", nil)
		if code != http.StatusOK {
			t.Fatalf("metadata of %s: %d %s", rev, code, body)
		}
		var md revisionMetadata
		decode(t, body, &md)
		if md.Author != "capstan test <test@capstan.invalid>" || md.Date.Format("2006-01-02") != "2026-01-01" {
			t.Errorf("metadata of %s: author %q date %v", rev, md.Author, md.Date)
		}
		if !strings.HasPrefix(md.Message, "deploy the first version") || len(md.Tags) != 1 || md.Tags[0] != "v1.0.0" {
			t.Errorf("metadata of %s: message %q tags %v", rev, md.Message, md.Tags)
		}
	}
	code, body := e.do(t, "admin", "GET", "/api/v1/applications/web/revisions/no-such-branch/metadata", nil)
	if code != http.StatusNotFound {
		t.Errorf("metadata of a missing revision: %d %s, want 404", code, body)
	}
}
