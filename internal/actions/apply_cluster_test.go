package actions

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// live creates manifest in a fresh namespace and returns it as read back.
func live(t *testing.T, ctx context.Context, c client.Client, manifest string) *unstructured.Unstructured {
	t.Helper()
	obj := parse(t, manifest)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: obj.GetNamespace()}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if err := c.Create(ctx, obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

// deploymentIn is a Deployment named web in namespace ns.
func deploymentIn(ns string, replicas int) string {
	return fmt.Sprintf(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: %s}
spec:
  replicas: %d
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: registry.invalid/web:1}]}`, ns, replicas)
}

// TestRestartRollsTheDeploymentOut restarts a running Deployment on the
// real control plane, whose simulated node runs Pods, and waits for the
// rollout the restart starts to finish: every replica is on the new Pod
// template, which carries the restart's stamp.
func TestRestartRollsTheDeploymentOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := env.Client(t)
	obj := live(t, ctx, c, deploymentIn("act-restart", 2))
	dep := &appsv1.Deployment{}
	rolledOut := func(generation int64) wait.ConditionWithContextFunc {
		return func(ctx context.Context) (bool, error) {
			if err := c.Get(ctx, client.ObjectKeyFromObject(obj), dep); err != nil {
				return false, err
			}
			s := dep.Status
			return dep.Generation >= generation && s.ObservedGeneration == dep.Generation && s.UpdatedReplicas == 2 && s.AvailableReplicas == 2 && s.Replicas == 2, nil
		}
	}
	if err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, rolledOut(1)); err != nil {
		t.Fatalf("the deployment never became available: %v (status %+v)", err, dep.Status)
	}
	before := dep.Generation
	// The Deployment's status may still move: read, run and write again
	// on a conflict, as the API does.
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := &unstructured.Unstructured{}
		current.SetGroupVersionKind(obj.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), current); err != nil {
			return err
		}
		ops, err := (*Set)(nil).Run(ctx, current, "restart", nil)
		if err != nil {
			return err
		}
		return Apply(ctx, ClientWriter{c}, current, ops)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := wait.PollUntilContextCancel(ctx, 100*time.Millisecond, true, rolledOut(before+1)); err != nil {
		t.Fatalf("the restart did not roll out: %v (status %+v)", err, dep.Status)
	}
	if dep.Spec.Template.Annotations["kubectl.kubernetes.io/restartedAt"] == "" {
		t.Errorf("the pod template has no restart stamp: %v", dep.Spec.Template.Annotations)
	}
	pods := &corev1.PodList{}
	if err := c.List(ctx, pods, client.InNamespace(obj.GetNamespace())); err != nil {
		t.Fatal(err)
	}
	stamped := 0
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Annotations["kubectl.kubernetes.io/restartedAt"] != "" {
			stamped++
		}
	}
	if stamped != 2 {
		t.Errorf("%d live pods carry the restart stamp, want 2", stamped)
	}
	// The action's own field manager owns the stamp, so that a sync by
	// the controller's manager leaves it alone.
	owners := map[string]bool{}
	for _, f := range dep.ManagedFields {
		owners[f.Manager] = true
	}
	if !owners[FieldManager] {
		t.Errorf("managers %v, want %s among them", owners, FieldManager)
	}
}

// TestApplyRefusesAStaleObject runs an action on an object that changed
// after it was read: the write must fail rather than undo the change.
func TestApplyRefusesAStaleObject(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := env.Client(t)
	obj := live(t, ctx, c, deploymentIn("act-stale", 0))
	ops, err := (*Set)(nil).Run(ctx, obj, "pause", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Patch(ctx, obj.DeepCopy(), client.RawPatch("application/merge-patch+json", []byte(`{"spec":{"replicas":1}}`))); err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx, ClientWriter{c}, obj, ops); !apierrors.IsConflict(err) {
		t.Errorf("apply on a stale object: %v, want a conflict", err)
	}
}

// TestCreateJobRunsTheCronJobsTemplate creates a Job from a CronJob on the
// real control plane.
func TestCreateJobRunsTheCronJobsTemplate(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := env.Client(t)
	obj := live(t, ctx, c, `
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: act-cron}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    metadata: {labels: {team: data}}
    spec: {template: {spec: {restartPolicy: Never, containers: [{name: run, image: registry.invalid/job:1}]}}}`)
	ops, err := (*Set)(nil).Run(ctx, obj, "create-job", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := Apply(ctx, ClientWriter{c}, obj, ops); err != nil {
		t.Fatal(err)
	}
	jobs := &batchv1.JobList{}
	if err := c.List(ctx, jobs, client.InNamespace("act-cron")); err != nil {
		t.Fatal(err)
	}
	if len(jobs.Items) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs.Items))
	}
	job := jobs.Items[0]
	owner := metav1.GetControllerOf(&job)
	if owner == nil || owner.Kind != "CronJob" || owner.UID != obj.GetUID() || job.Labels["team"] != "data" {
		t.Errorf("job %s: owner %+v, labels %v; want the CronJob's, team=data", job.Name, owner, job.Labels)
	}
}
