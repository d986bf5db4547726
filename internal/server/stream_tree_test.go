package server

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// treeNames reads the next resource tree of a stream as the names of its
// nodes; "ended" when the stream ends.
func treeNames(t *testing.T, lines <-chan []byte) string {
	t.Helper()
	select {
	case line, ok := <-lines:
		if !ok {
			return "ended"
		}
		var ev struct {
			Result applicationTree `json:"result"`
		}
		if err := json.Unmarshal(line, &ev); err != nil {
			t.Fatalf("tree event %q: %v", line, err)
		}
		var names []string
		for _, n := range ev.Result.Nodes {
			names = append(names, n.Kind+"/"+n.Name)
		}
		return strings.Join(names, " ")
	case <-time.After(30 * time.Second):
		t.Fatal("no resource tree event")
		return ""
	}
}

// The tree stream sends the tree, again when the Application's
// resources change, and ends with the Application.
func TestResourceTreeStream(t *testing.T) {
	s := newTestServer(t)
	s.API.Backends = &Backends{InCluster: env.Config()}
	admin := s.loginAdmin(t)
	tracked := func(name string) *corev1.ConfigMap {
		return &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: name,
			Annotations: map[string]string{v1alpha1.AnnotationTrackingID: "tree:/ConfigMap:" + s.Namespace + "/" + name}}}
	}
	for _, cm := range []*corev1.ConfigMap{tracked("one"), tracked("two")} {
		if err := s.Client.Create(t.Context(), cm); err != nil {
			t.Fatal(err)
		}
	}
	app := appIn(s, "tree", "", "https://git.example.com/a")
	app.Spec.Destination.Namespace = s.Namespace
	createApps(t, s, app)
	status := func(names ...string) func(*v1alpha1.ApplicationStatus) {
		return func(st *v1alpha1.ApplicationStatus) {
			st.Resources = nil
			for _, n := range names {
				st.Resources = append(st.Resources, v1alpha1.ResourceStatus{Version: "v1", Kind: "ConfigMap", Namespace: s.Namespace, Name: n})
			}
		}
	}
	setStatus(t, s, "tree", status("one"))

	lines := streamLines(t, s, admin, "/api/v1/stream/applications/tree/resource-tree", true)
	if got := treeNames(t, lines); got != "ConfigMap/one" {
		t.Fatalf("first tree %q, want ConfigMap/one", got)
	}
	setStatus(t, s, "tree", status("one", "two"))
	if got := treeNames(t, lines); got != "ConfigMap/one ConfigMap/two" {
		t.Fatalf("tree after a change %q, want both ConfigMaps", got)
	}
	if err := s.Client.Delete(t.Context(), stored(t, s, "tree")); err != nil {
		t.Fatal(err)
	}
	if got := treeNames(t, lines); got != "ended" {
		t.Errorf("after the Application went the stream sent %q", got)
	}
}
