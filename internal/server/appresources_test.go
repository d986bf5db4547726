package server

import (
	"context"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cluster"
)

// tracked is metadata that makes an object app's, as capstan marks it.
func tracked(app, group, kind, ns, name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Namespace:   ns,
		Name:        name,
		Labels:      map[string]string{v1alpha1.LabelCapstanManaged: "true"},
		Annotations: map[string]string{v1alpha1.AnnotationTrackingID: fmt.Sprintf("%s:%s/%s:%s/%s", app, group, kind, ns, name)},
	}
}

// createApp creates Application name deploying repoURL's path to the
// env's namespace, with the status listing resources.
func (e *resEnv) createApp(t *testing.T, name, repoURL, project string, resources ...v1alpha1.ResourceStatus) *v1alpha1.Application {
	t.Helper()
	ctx := context.Background()
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: name},
		Spec: v1alpha1.ApplicationSpec{
			Project:     project,
			Source:      &v1alpha1.ApplicationSource{RepoURL: repoURL, Path: "app", TargetRevision: "main"},
			Destination: v1alpha1.ApplicationDestination{Server: cluster.InClusterServer, Namespace: e.ns},
		},
	}
	if err := e.client.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	app.Status.Resources = resources
	if err := e.client.Status().Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	return app
}

func (e *resEnv) create(t *testing.T, objs ...client.Object) {
	t.Helper()
	for _, o := range objs {
		if err := e.client.Create(context.Background(), o); err != nil {
			t.Fatal(err)
		}
	}
}

func deployment(meta metav1.ObjectMeta) *appsv1.Deployment {
	labels := map[string]string{"app": meta.Name}
	return &appsv1.Deployment{
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:1.27"}}},
			},
		},
	}
}

// TestResourceTreeFollowsOwners asks for the tree of an app that tracks a
// Deployment: the Deployment, the ReplicaSet the cluster made for it and
// its Pod come back, each pointing at its parent; an untracked
// Deployment next to it does not.
func TestResourceTreeFollowsOwners(t *testing.T) {
	e := newResEnv(t)
	e.create(t,
		deployment(tracked("web", "apps", "Deployment", e.ns, "web")),
		deployment(metav1.ObjectMeta{Namespace: e.ns, Name: "other"}),
	)
	e.createApp(t, "web", "https://example.invalid/repo.git", "default",
		v1alpha1.ResourceStatus{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: e.ns, Name: "web"},
		v1alpha1.ResourceStatus{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: e.ns, Name: "other"},
	)
	var tree applicationTree
	deadline := time.Now().Add(90 * time.Second)
	for {
		code, body := e.do(t, "admin", "GET", "/api/v1/applications/web/resource-tree", nil)
		if code != http.StatusOK {
			t.Fatalf("resource-tree: %d %s", code, body)
		}
		tree = applicationTree{}
		decode(t, body, &tree)
		if kinds(tree.Nodes) == "Deployment/web ReplicaSet Pod" || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if got := kinds(tree.Nodes); got != "Deployment/web ReplicaSet Pod" {
		t.Fatalf("tree nodes = %q, want the Deployment, its ReplicaSet and its Pod", got)
	}
	byUID := map[string]resourceNode{}
	for _, n := range tree.Nodes {
		byUID[n.UID] = n
	}
	rs, pod := tree.Nodes[1], tree.Nodes[2]
	if len(rs.ParentRefs) != 1 || byUID[rs.ParentRefs[0].UID].Kind != "Deployment" {
		t.Errorf("ReplicaSet parents = %+v, want the Deployment", rs.ParentRefs)
	}
	if len(pod.ParentRefs) != 1 || pod.ParentRefs[0].UID != rs.UID {
		t.Errorf("Pod parents = %+v, want the ReplicaSet", pod.ParentRefs)
	}
	if len(pod.Images) != 1 || pod.Images[0] != "nginx:1.27" {
		t.Errorf("Pod images = %v", pod.Images)
	}
	if tree.Nodes[0].Health == nil {
		t.Errorf("the Deployment has no health")
	}
}

// kinds summarises nodes: the first's kind/name, then the others' kinds.
func kinds(nodes []resourceNode) string {
	var parts []string
	for i, n := range nodes {
		if i == 0 {
			parts = append(parts, n.Kind+"/"+n.Name)
			continue
		}
		parts = append(parts, n.Kind)
	}
	return strings.Join(parts, " ")
}

// resourceQuery is the query of /resource naming one object.
func resourceQuery(ns, group, version, kind, name string) string {
	q := url.Values{"namespace": {ns}, "group": {group}, "version": {version}, "kind": {kind}, "resourceName": {name}}
	return q.Encode()
}

// TestPatchResourceOnlyTheAppsOwn patches objects through an app: its own
// ConfigMap changes; an untracked one and one another app tracks are
// refused as unknown and left as they were; a caller with only get is
// refused.
func TestPatchResourceOnlyTheAppsOwn(t *testing.T) {
	e := newResEnv(t, grant{"reader", "applications", "get", "*"})
	foreignMeta := tracked("other", "", "ConfigMap", e.ns, "foreign")
	e.create(t,
		&corev1.ConfigMap{ObjectMeta: tracked("web", "", "ConfigMap", e.ns, "mine")},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "loose"}},
		&corev1.ConfigMap{ObjectMeta: foreignMeta},
	)
	e.createApp(t, "web", "https://example.invalid/repo.git", "default")
	patch := `"{\"metadata\":{\"labels\":{\"patched\":\"yes\"}}}"`
	base := "/api/v1/applications/web/resource?patchType=application/merge-patch%2Bjson&"
	for _, tc := range []struct {
		name, subject string
		want          int
	}{
		{"mine", "admin", http.StatusOK},
		{"loose", "admin", http.StatusNotFound},
		{"foreign", "admin", http.StatusNotFound},
		{"mine", "reader", http.StatusForbidden},
	} {
		code, body := e.do(t, tc.subject, "POST", base+resourceQuery(e.ns, "", "v1", "ConfigMap", tc.name), patch)
		if code != tc.want {
			t.Errorf("patch %s as %s: %d %s, want %d", tc.name, tc.subject, code, body, tc.want)
		}
	}
	for name, want := range map[string]string{"mine": "yes", "loose": "", "foreign": ""} {
		var cm corev1.ConfigMap
		if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, &cm); err != nil {
			t.Fatal(err)
		}
		if got := cm.Labels["patched"]; got != want {
			t.Errorf("ConfigMap %s label patched = %q, want %q", name, got, want)
		}
	}
	code, body := e.do(t, "admin", "DELETE", "/api/v1/applications/web/resource?"+resourceQuery(e.ns, "", "v1", "ConfigMap", "loose"), nil)
	if code != http.StatusNotFound {
		t.Errorf("delete of an untracked ConfigMap: %d %s, want 404", code, body)
	}
	code, body = e.do(t, "admin", "DELETE", "/api/v1/applications/web/resource?"+resourceQuery(e.ns, "", "v1", "ConfigMap", "mine"), nil)
	if code != http.StatusOK {
		t.Errorf("delete of the app's ConfigMap: %d %s", code, body)
	}
}

// TestGetResourceMasksSecrets reads a Secret of an app: its values come
// back masked, never in clear nor base64.
func TestGetResourceMasksSecrets(t *testing.T) {
	e := newResEnv(t)
	const value = "hunter2-very-secret"
	e.create(t, &corev1.Secret{ObjectMeta: tracked("web", "", "Secret", e.ns, "creds"), Data: map[string][]byte{"password": []byte(value), "user": []byte("bob")}})
	e.createApp(t, "web", "https://example.invalid/repo.git", "default")
	code, body := e.do(t, "admin", "GET", "/api/v1/applications/web/resource?"+resourceQuery(e.ns, "", "v1", "Secret", "creds"), nil)
	if code != http.StatusOK {
		t.Fatalf("get Secret: %d %s", code, body)
	}
	for _, leak := range []string{value, base64.StdEncoding.EncodeToString([]byte(value)), base64.StdEncoding.EncodeToString([]byte("bob"))} {
		if strings.Contains(string(body), leak) {
			t.Fatalf("answer holds a Secret value %q: %s", leak, body)
		}
	}
	if !strings.Contains(string(body), `++++++++`) {
		t.Errorf("answer has no mask: %s", body)
	}
}

func event(ns, name string, about corev1.ObjectReference, message string) *corev1.Event {
	return &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: ns, Name: name},
		InvolvedObject: about,
		Reason:         "Test",
		Message:        message,
		Type:           corev1.EventTypeNormal,
	}
}

// TestEventsOfAppAndItsResources lists the Events of an Application, and of
// one of its objects; an object outside the app is refused, and a caller
// of another project is refused the app.
func TestEventsOfAppAndItsResources(t *testing.T) {
	e := newResEnv(t, grant{"other-team", "applications", "get", "team-b/*"})
	mine := &corev1.ConfigMap{ObjectMeta: tracked("web", "", "ConfigMap", e.ns, "mine")}
	loose := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "loose"}}
	e.create(t, mine, loose)
	app := e.createApp(t, "web", "https://example.invalid/repo.git", "default",
		v1alpha1.ResourceStatus{Version: "v1", Kind: "ConfigMap", Namespace: e.ns, Name: "mine"})
	e.create(t,
		event(e.ns, "about-app", corev1.ObjectReference{Kind: "Application", Namespace: e.ns, Name: "web", UID: app.UID}, "the app synced"),
		event(e.ns, "about-mine", corev1.ObjectReference{Kind: "ConfigMap", Namespace: e.ns, Name: "mine", UID: mine.UID}, "mine changed"),
		event(e.ns, "about-loose", corev1.ObjectReference{Kind: "ConfigMap", Namespace: e.ns, Name: "loose", UID: loose.UID}, "loose changed"),
	)
	for _, tc := range []struct {
		query, want string
		code        int
	}{
		{"", "the app synced", http.StatusOK},
		{"?resourceUID=" + string(mine.UID), "mine changed", http.StatusOK},
		{"?resourceName=mine&resourceNamespace=" + e.ns, "mine changed", http.StatusOK},
		{"?resourceUID=" + string(loose.UID), "", http.StatusNotFound},
	} {
		code, body := e.do(t, "admin", "GET", "/api/v1/applications/web/events"+tc.query, nil)
		if code != tc.code {
			t.Errorf("events%s: %d %s, want %d", tc.query, code, body, tc.code)
			continue
		}
		var list corev1.EventList
		decode(t, body, &list)
		if tc.want != "" && (len(list.Items) != 1 || list.Items[0].Message != tc.want) {
			t.Errorf("events%s = %s, want only %q", tc.query, body, tc.want)
		}
	}
	if code, _ := e.do(t, "other-team", "GET", "/api/v1/applications/web/events", nil); code != http.StatusForbidden {
		t.Errorf("events for a caller of another project: %d, want 403", code)
	}
	if code, _ := e.do(t, "other-team", "GET", "/api/v1/applications/web/resource-tree", nil); code != http.StatusForbidden {
		t.Errorf("tree for a caller of another project: %d, want 403", code)
	}
}
