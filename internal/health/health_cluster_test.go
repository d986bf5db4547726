package health

import (
	"context"
	"os"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv"
)

var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// TestLiveObjectsReachTheirHealth creates real objects on the local control
// plane, whose simulated node runs Pods, and waits for each to reach the
// health a user would expect.
func TestLiveObjectsReachTheirHealth(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	client := dynamic.NewForConfigOrDie(env.Config())
	ns := "health"
	if _, err := client.Resource(gvr("", "v1", "namespaces")).Create(ctx, parse(t, `{apiVersion: v1, kind: Namespace, metadata: {name: health}}`), metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	tests := []struct {
		resource string
		manifest string
		want     v1alpha1.HealthStatusCode
	}{
		{"deployments", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: registry.invalid/web:1}]}`, v1alpha1.HealthStatusHealthy},
		{"statefulsets", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  replicas: 1
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: db, image: registry.invalid/db:1}]}`, v1alpha1.HealthStatusHealthy},
		{"jobs", `
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: once, image: registry.invalid/once:1}]}`, v1alpha1.HealthStatusHealthy},
		{"services", `
apiVersion: v1
kind: Service
metadata: {name: public}
spec: {type: LoadBalancer, ports: [{port: 80}], selector: {app: web}}`, v1alpha1.HealthStatusProgressing},
		{"persistentvolumeclaims", `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}`, v1alpha1.HealthStatusProgressing},
	}
	for _, tt := range tests {
		t.Run(tt.resource, func(t *testing.T) {
			obj := parse(t, tt.manifest)
			group, version := "", "v1"
			if gv := obj.GroupVersionKind(); gv.Group != "" {
				group, version = gv.Group, gv.Version
			}
			res := client.Resource(gvr(group, version, tt.resource)).Namespace(ns)
			if _, err := res.Create(ctx, obj, metav1.CreateOptions{}); err != nil {
				t.Fatalf("create: %v", err)
			}
			var last *Status
			err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 60*time.Second, true, func(ctx context.Context) (bool, error) {
				live, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
				if err != nil {
					return false, err
				}
				last, err = Of(live)
				return err == nil && last != nil && last.Code == tt.want, err
			})
			if err != nil {
				t.Fatalf("%s %s never became %s; last health %+v: %v", obj.GetKind(), obj.GetName(), tt.want, last, err)
			}
		})
	}
}

func gvr(group, version, resource string) schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: group, Version: version, Resource: resource}
}
