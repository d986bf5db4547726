package server

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/actions"
	"github.com/capstan-cd/capstan/internal/settings"
)

// actionsPath is the actions endpoint of app on the object of kind.
func actionsPath(app, group, kind, ns, name string, extra ...string) string {
	q := url.Values{"namespace": {ns}, "resourceName": {name}, "version": {"v1"}, "group": {group}, "kind": {kind}}
	for i := 0; i+1 < len(extra); i += 2 {
		q.Set(extra[i], extra[i+1])
	}
	return "/api/v1/applications/" + app + "/resource/actions?" + q.Encode()
}

// actionNames lists the names and disabled flags of an answer.
func actionNames(t *testing.T, body []byte) map[string]bool {
	t.Helper()
	var list actionList
	decode(t, body, &list)
	out := map[string]bool{}
	for _, a := range list.Actions {
		out[a.Name] = a.Disabled
	}
	return out
}

// webApp is an Application "web" of the env that tracks Deployment web,
// and an untracked Deployment "other" next to it.
func webApp(t *testing.T, e *resEnv) {
	t.Helper()
	e.create(t,
		deployment(tracked("web", "apps", "Deployment", e.ns, "web")),
		deployment(metav1.ObjectMeta{Namespace: e.ns, Name: "other"}),
	)
	e.createApp(t, "web", "https://example.invalid/repo.git", "default",
		v1alpha1.ResourceStatus{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: e.ns, Name: "web"})
}

func (e *resEnv) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := e.client.Get(context.Background(), client.ObjectKey{Namespace: e.ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	return d
}

// TestResourceActionsListAndRun lists the actions of a tracked
// Deployment, restarts it and pauses it through the three request forms
// Argo CD's clients use; an untracked object is not found.
func TestResourceActionsListAndRun(t *testing.T) {
	e := newResEnv(t)
	webApp(t, e)
	code, body := e.do(t, "admin", "GET", actionsPath("web", "apps", "Deployment", e.ns, "web"), nil)
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	if got, want := actionNames(t, body), map[string]bool{"restart": false, "pause": false, "resume": true}; !maps.Equal(got, want) {
		t.Errorf("actions = %v, want %v", got, want)
	}

	// The form of the v2 endpoint: everything in the body.
	code, body = e.do(t, "admin", "POST", "/api/v1/applications/web/resource/actions/v2", map[string]string{
		"action": "restart", "namespace": e.ns, "resourceName": "web", "version": "v1", "group": "apps", "kind": "Deployment",
	})
	if code != http.StatusOK {
		t.Fatalf("restart: %d %s", code, body)
	}
	if stamp := e.deployment(t, "web").Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]; stamp == "" {
		t.Errorf("the restart left no stamp on the Pod template")
	}
	// The first form: the object in the query, the action alone as the body.
	if code, body = e.do(t, "admin", "POST", actionsPath("web", "apps", "Deployment", e.ns, "web"), `"pause"`); code != http.StatusOK {
		t.Fatalf("pause: %d %s", code, body)
	}
	if !e.deployment(t, "web").Spec.Paused {
		t.Errorf("the Deployment is not paused")
	}
	// Paused, pause is disabled; resume through the query form.
	if code, body = e.do(t, "admin", "POST", actionsPath("web", "apps", "Deployment", e.ns, "web"), `"pause"`); code != http.StatusBadRequest {
		t.Errorf("pause of a paused Deployment: %d %s, want 400", code, body)
	}
	if code, body = e.do(t, "admin", "POST", actionsPath("web", "apps", "Deployment", e.ns, "web", "action", "resume"), nil); code != http.StatusOK {
		t.Fatalf("resume: %d %s", code, body)
	}
	if e.deployment(t, "web").Spec.Paused {
		t.Errorf("the Deployment is still paused")
	}

	for _, method := range []string{"GET", "POST"} {
		code, body := e.do(t, "admin", method, actionsPath("web", "apps", "Deployment", e.ns, "other", "action", "restart"), nil)
		if code != http.StatusNotFound {
			t.Errorf("%s on an untracked Deployment: %d %s, want 404", method, code, body)
		}
	}
	if stamp := e.deployment(t, "other").Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"]; stamp != "" {
		t.Errorf("the untracked Deployment was restarted")
	}
}

// TestResourceActionRBAC runs actions as callers allowed one action, or
// only to get the Application.
func TestResourceActionRBAC(t *testing.T) {
	e := newResEnv(t,
		grant{"ops", "applications", "action/apps/Deployment/restart", "default/web"},
		grant{"viewer", "applications", "get", "default/web"},
	)
	webApp(t, e)
	path := func(action string) string {
		return actionsPath("web", "apps", "Deployment", e.ns, "web", "action", action)
	}
	for _, tt := range []struct {
		subject, method, action string
		want                    int
	}{
		{"viewer", "GET", "", http.StatusOK},
		{"viewer", "POST", "restart", http.StatusForbidden},
		{"ops", "POST", "pause", http.StatusForbidden},
		{"ops", "POST", "restart", http.StatusOK},
	} {
		if code, body := e.do(t, tt.subject, tt.method, path(tt.action), nil); code != tt.want {
			t.Errorf("%s %s %s: %d %s, want %d", tt.subject, tt.method, tt.action, code, body, tt.want)
		}
	}
	if e.deployment(t, "web").Spec.Paused {
		t.Errorf("a caller without the right paused the Deployment")
	}
}

// TestCreateJobActionFollowsTheProject creates a Job from a tracked
// CronJob, then refuses to when the project does not allow Jobs.
func TestCreateJobActionFollowsTheProject(t *testing.T) {
	e := newResEnv(t)
	ctx := context.Background()
	cron := &batchv1.CronJob{
		ObjectMeta: tracked("nightly", "batch", "CronJob", e.ns, "nightly"),
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "run", Image: "job:1"}}}},
		}}},
	}
	e.create(t, cron)
	strict := &v1alpha1.AppProject{
		ObjectMeta: metav1.ObjectMeta{Namespace: e.ns, Name: "strict"},
		Spec: v1alpha1.AppProjectSpec{
			SourceRepos:                []string{"*"},
			Destinations:               []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
			NamespaceResourceBlacklist: []metav1.GroupKind{{Group: "batch", Kind: "Job"}},
		},
	}
	e.create(t, strict)
	e.createApp(t, "nightly", "https://example.invalid/repo.git", "default")
	path := actionsPath("nightly", "batch", "CronJob", e.ns, "nightly", "action", "create-job")
	if code, body := e.do(t, "admin", "POST", path, nil); code != http.StatusOK {
		t.Fatalf("create-job: %d %s", code, body)
	}
	jobs := &batchv1.JobList{}
	if err := e.client.List(ctx, jobs, client.InNamespace(e.ns)); err != nil || len(jobs.Items) != 1 {
		t.Fatalf("%d jobs (%v), want 1", len(jobs.Items), err)
	}

	app := &v1alpha1.Application{}
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: "nightly"}, app); err != nil {
		t.Fatal(err)
	}
	app.Spec.Project = "strict"
	if err := e.client.Update(ctx, app); err != nil {
		t.Fatal(err)
	}
	if code, body := e.do(t, "admin", "POST", path, nil); code != http.StatusForbidden {
		t.Errorf("create-job under a project without Jobs: %d %s, want 403", code, body)
	}
	if err := e.client.List(ctx, jobs, client.InNamespace(e.ns)); err != nil || len(jobs.Items) != 1 {
		t.Errorf("%d jobs (%v) after the refusal, want 1", len(jobs.Items), err)
	}
}

// TestCustomActionWithParameters runs an action of argocd-cm that takes a
// parameter.
func TestCustomActionWithParameters(t *testing.T) {
	e := newResEnv(t)
	scale := `discovery.lua: |
  return {scale = {params = {{name = "replicas", default = "1"}}}}
definitions:
- name: scale
  action.lua: |
    obj.spec.replicas = tonumber(actionParams["replicas"])
    return obj
`
	e.withSettings(t, map[string]string{"resource.customizations.actions.apps_Deployment": scale})
	webApp(t, e)
	code, body := e.do(t, "admin", "GET", actionsPath("web", "apps", "Deployment", e.ns, "web"), nil)
	if code != http.StatusOK {
		t.Fatalf("list: %d %s", code, body)
	}
	var list actionList
	decode(t, body, &list)
	if diff := cmp.Diff([]actions.Action{{Name: "scale", Params: []actions.Param{{Name: "replicas", Default: "1"}}}}, list.Actions); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
	req, _ := json.Marshal(map[string]any{"action": "scale", "resourceActionParameters": []map[string]string{{"name": "replicas", "value": "3"}}})
	if code, body := e.do(t, "admin", "POST", actionsPath("web", "apps", "Deployment", e.ns, "web"), string(req)); code != http.StatusOK {
		t.Fatalf("scale: %d %s", code, body)
	}
	if r := e.deployment(t, "web").Spec.Replicas; r == nil || *r != 3 {
		t.Errorf("replicas = %v, want 3", ptr.Deref(r, -1))
	}
}

// withSettings merges data into argocd-cm and has the API read its
// settings from the env's namespace, watched until the test ends.
func (e *resEnv) withSettings(t *testing.T, data map[string]string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	var cm corev1.ConfigMap
	if err := e.client.Get(ctx, client.ObjectKey{Namespace: e.ns, Name: settings.ConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	maps.Copy(cm.Data, data)
	if err := e.client.Update(ctx, &cm); err != nil {
		t.Fatal(err)
	}
	w, err := settings.Watch(ctx, env.Config(), e.ns)
	if err != nil {
		t.Fatal(err)
	}
	e.api.Settings = w
}
