package actions

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

func parse(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		t.Fatal(err)
	}
	return obj
}

const (
	deployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop, resourceVersion: "7"}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: web:1, args: []}]}`
	pausedDeployment = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: shop}
spec: {paused: true, template: {spec: {containers: []}}}`
	cronJob = `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: shop, uid: "1234"}
spec:
  schedule: "0 3 * * *"
  suspend: true
  jobTemplate:
    metadata: {labels: {team: data}}
    spec: {template: {spec: {restartPolicy: Never, containers: [{name: run, image: job:1}]}}}`
)

func TestBuiltinDiscovery(t *testing.T) {
	tests := []struct {
		name, manifest string
		want           []Action
	}{
		{"deployment", deployment, []Action{
			{Name: "pause", IconClass: "fa fa-fw fa-pause-circle", DisplayName: "Pause"},
			{Name: "restart", IconClass: "fa fa-fw fa-redo", DisplayName: "Restart"},
			{Name: "resume", Disabled: true, IconClass: "fa fa-fw fa-play-circle", DisplayName: "Resume"},
		}},
		{"paused deployment", pausedDeployment, []Action{
			{Name: "pause", Disabled: true, IconClass: "fa fa-fw fa-pause-circle", DisplayName: "Pause"},
			{Name: "restart", IconClass: "fa fa-fw fa-redo", DisplayName: "Restart"},
			{Name: "resume", IconClass: "fa fa-fw fa-play-circle", DisplayName: "Resume"},
		}},
		{"statefulset", `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {}}`, []Action{
			{Name: "restart", IconClass: "fa fa-fw fa-redo", DisplayName: "Restart"},
		}},
		{"daemonset", `{apiVersion: apps/v1, kind: DaemonSet, metadata: {name: agent}, spec: {}}`, []Action{
			{Name: "restart", IconClass: "fa fa-fw fa-redo", DisplayName: "Restart"},
		}},
		{"suspended cronjob", cronJob, []Action{
			{Name: "create-job", IconClass: "fa fa-fw fa-plus", DisplayName: "Create Job"},
			{Name: "resume", IconClass: "fa fa-fw fa-play-circle", DisplayName: "Resume"},
			{Name: "suspend", Disabled: true, IconClass: "fa fa-fw fa-pause-circle", DisplayName: "Suspend"},
		}},
		{"running job", `{apiVersion: batch/v1, kind: Job, metadata: {name: once}, spec: {}}`, []Action{
			{Name: "resume", Disabled: true, IconClass: "fa fa-fw fa-play-circle", DisplayName: "Resume"},
			{Name: "suspend", IconClass: "fa fa-fw fa-pause-circle", DisplayName: "Suspend"},
		}},
		{"a kind without actions", `{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`, []Action{}},
		{"same kind name, other group", `{apiVersion: example.com/v1, kind: Deployment, metadata: {name: d}}`, []Action{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := (*Set)(nil).Discover(context.Background(), parse(t, tt.manifest))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
		})
	}
}

// runOne runs action on manifest with the built-in actions and returns
// the one operation it must give.
func runOne(t *testing.T, manifest, action string) Operation {
	t.Helper()
	ops, err := (*Set)(nil).Run(context.Background(), parse(t, manifest), action, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 {
		t.Fatalf("got %d operations, want 1", len(ops))
	}
	return ops[0]
}

func TestBuiltinRuns(t *testing.T) {
	tests := []struct {
		name, manifest, action string
		path                   []string
		want                   any
	}{
		{"pause", deployment, "pause", []string{"spec", "paused"}, true},
		{"resume a deployment drops paused", pausedDeployment, "resume", []string{"spec", "paused"}, nil},
		{"resume a cronjob", cronJob, "resume", []string{"spec", "suspend"}, false},
		{"suspend a job", `{apiVersion: batch/v1, kind: Job, metadata: {name: once}, spec: {}}`, "suspend", []string{"spec", "suspend"}, true},
		{"an empty list stays a list", deployment, "pause", []string{"spec", "template", "spec", "containers"}, []any{map[string]any{"name": "web", "image": "web:1", "args": []any{}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			op := runOne(t, tt.manifest, tt.action)
			if op.Type != OpPatch {
				t.Errorf("operation %q, want patch", op.Type)
			}
			got, _, _ := unstructured.NestedFieldNoCopy(op.Object.Object, tt.path...)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("%v (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestRestartStampsThePodTemplate(t *testing.T) {
	before := time.Now().UTC().Truncate(time.Second)
	for _, manifest := range []string{deployment, `{apiVersion: apps/v1, kind: StatefulSet, metadata: {name: db}, spec: {}}`} {
		op := runOne(t, manifest, "restart")
		stamp, _, _ := unstructured.NestedString(op.Object.Object, "spec", "template", "metadata", "annotations", "kubectl.kubernetes.io/restartedAt")
		at, err := time.Parse(time.RFC3339, stamp)
		if err != nil || at.Before(before) {
			t.Errorf("%s: restartedAt = %q (%v), want a time from %s on", op.Object.GetKind(), stamp, err, before)
		}
	}
}

func TestCreateJobFromCronJob(t *testing.T) {
	op := runOne(t, cronJob, "create-job")
	if op.Type != OpCreate {
		t.Fatalf("operation %q, want create", op.Type)
	}
	job := op.Object
	meta := job.Object["metadata"].(map[string]any)
	name := meta["name"].(string)
	delete(meta, "name")
	if len(name) != len("nightly-")+10 || name[:8] != "nightly-" {
		t.Errorf("name %q, want nightly-<unix time>", name)
	}
	want := parse(t, `
apiVersion: batch/v1
kind: Job
metadata:
  namespace: shop
  labels: {team: data}
  annotations: {cronjob.kubernetes.io/instantiate: manual}
  ownerReferences: [{apiVersion: batch/v1, kind: CronJob, name: nightly, uid: "1234", controller: true, blockOwnerDeletion: true}]
spec: {template: {spec: {restartPolicy: Never, containers: [{name: run, image: job:1}]}}}`)
	if diff := cmp.Diff(want.Object, job.Object); diff != "" {
		t.Errorf("job (-want +got):\n%s", diff)
	}
}

func TestDisabledAndUnknownActionsAreRefused(t *testing.T) {
	for _, tt := range []struct{ manifest, action, want string }{
		{pausedDeployment, "pause", "action pause of Deployment shop/web is disabled"},
		{deployment, "scale-to-zero", "Deployment shop/web has no action scale-to-zero"},
		{`{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}`, "restart", "ConfigMap c has no action restart"},
	} {
		_, err := (*Set)(nil).Run(context.Background(), parse(t, tt.manifest), tt.action, nil)
		if err == nil || err.Error() != tt.want {
			t.Errorf("error = %v, want %q", err, tt.want)
		}
	}
}
