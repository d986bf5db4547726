package health

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func parse(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	// Decode as objects from the API server are decoded: integers as int64.
	data, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(data); err != nil {
		t.Fatalf("parse: %v", err)
	}
	return obj
}

func TestOf(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		want     v1alpha1.HealthStatusCode // "" means no health of its own
	}{
		{"deployment available", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 2}
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 2, updatedReplicas: 2, availableReplicas: 2}`, v1alpha1.HealthStatusHealthy},
		{"deployment rolling out", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 2}
spec: {replicas: 2}
status: {observedGeneration: 2, replicas: 3, updatedReplicas: 2, availableReplicas: 2}`, v1alpha1.HealthStatusProgressing},
		{"deployment generation not observed", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 3}
status: {observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1}`, v1alpha1.HealthStatusProgressing},
		{"deployment past its deadline", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, generation: 1}
status:
  observedGeneration: 1
  conditions: [{type: Progressing, status: "False", reason: ProgressDeadlineExceeded}]`, v1alpha1.HealthStatusDegraded},
		{"deployment paused", `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {paused: true}`, v1alpha1.HealthStatusSuspended},
		{"statefulset ready", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 1}
spec: {replicas: 1}
status: {observedGeneration: 1, readyReplicas: 1, currentRevision: a, updateRevision: a, currentReplicas: 1}`, v1alpha1.HealthStatusHealthy},
		{"statefulset updating", `
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, generation: 1}
spec: {replicas: 1}
status: {observedGeneration: 1, readyReplicas: 1, currentRevision: a, updateRevision: b}`, v1alpha1.HealthStatusProgressing},
		{"daemonset partly available", `
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent, generation: 1}
status: {observedGeneration: 1, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2}`, v1alpha1.HealthStatusProgressing},
		{"replicaset failing", `
apiVersion: apps/v1
kind: ReplicaSet
metadata: {name: web-1}
status: {conditions: [{type: ReplicaFailure, status: "True", message: quota exceeded}]}`, v1alpha1.HealthStatusDegraded},
		{"pod running and ready", `
apiVersion: v1
kind: Pod
metadata: {name: p}
spec: {restartPolicy: Always}
status: {phase: Running, conditions: [{type: Ready, status: "True"}]}`, v1alpha1.HealthStatusHealthy},
		{"pod crash looping", `
apiVersion: v1
kind: Pod
metadata: {name: p}
status:
  phase: Running
  containerStatuses: [{name: c, state: {waiting: {reason: CrashLoopBackOff, message: back-off}}}]`, v1alpha1.HealthStatusDegraded},
		{"pod failed", `
apiVersion: v1
kind: Pod
metadata: {name: p}
status: {phase: Failed}`, v1alpha1.HealthStatusDegraded},
		{"pod pending", `
apiVersion: v1
kind: Pod
metadata: {name: p}
status: {phase: Pending}`, v1alpha1.HealthStatusProgressing},
		{"load balancer without address", `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {type: LoadBalancer}`, v1alpha1.HealthStatusProgressing},
		{"cluster IP service", `
apiVersion: v1
kind: Service
metadata: {name: s}
spec: {type: ClusterIP}`, v1alpha1.HealthStatusHealthy},
		{"ingress with address", `
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: i}
status: {loadBalancer: {ingress: [{ip: 10.0.0.1}]}}`, v1alpha1.HealthStatusHealthy},
		{"pvc pending", `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
status: {phase: Pending}`, v1alpha1.HealthStatusProgressing},
		{"pvc lost", `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
status: {phase: Lost}`, v1alpha1.HealthStatusDegraded},
		{"job complete", `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
status: {conditions: [{type: Complete, status: "True"}]}`, v1alpha1.HealthStatusHealthy},
		{"job failed", `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
status: {conditions: [{type: Failed, status: "True", message: BackoffLimitExceeded}]}`, v1alpha1.HealthStatusDegraded},
		{"job suspended", `
apiVersion: batch/v1
kind: Job
metadata: {name: j}
spec: {suspend: true}`, v1alpha1.HealthStatusSuspended},
		{"cronjob suspended", `
apiVersion: batch/v1
kind: CronJob
metadata: {name: c}
spec: {suspend: true, schedule: "* * * * *"}`, v1alpha1.HealthStatusSuspended},
		{"hpa failing to read metrics", `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: h}
status: {conditions: [{type: ScalingActive, status: "False", reason: FailedGetResourceMetric}]}`, v1alpha1.HealthStatusDegraded},
		{"apiservice available", `
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.example.com}
status: {conditions: [{type: Available, status: "True"}]}`, v1alpha1.HealthStatusHealthy},
		{"custom resource ready", `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, generation: 4}
status: {observedGeneration: 4, conditions: [{type: Ready, status: "True"}]}`, v1alpha1.HealthStatusHealthy},
		{"custom resource not ready", `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
status: {conditions: [{type: Ready, status: "False", reason: BadConfig}]}`, v1alpha1.HealthStatusDegraded},
		{"custom resource behind its generation", `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, generation: 5}
status: {observedGeneration: 4, conditions: [{type: Ready, status: "True"}]}`, v1alpha1.HealthStatusProgressing},
		{"custom resource stalled", `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w}
status: {conditions: [{type: Stalled, status: "True"}, {type: Ready, status: "True"}]}`, v1alpha1.HealthStatusDegraded},
		{"configmap has no health", `
apiVersion: v1
kind: ConfigMap
metadata: {name: c}`, ""},
		{"child application has no health of its own by default", `
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: child}
status: {health: {status: Degraded}, conditions: [{type: Ready, status: "False"}]}`, ""},
		{"object being deleted", `
apiVersion: v1
kind: ConfigMap
metadata: {name: c, deletionTimestamp: "2026-01-01T00:00:00Z"}`, v1alpha1.HealthStatusProgressing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Of(parse(t, tt.manifest))
			if err != nil {
				t.Fatalf("Of: %v", err)
			}
			var code v1alpha1.HealthStatusCode
			if got != nil {
				code = got.Code
			}
			if code != tt.want {
				t.Errorf("health = %q (%+v), want %q", code, got, tt.want)
			}
		})
	}
}

func TestOfMissingObject(t *testing.T) {
	got, err := Of(nil)
	if err != nil || got.Code != v1alpha1.HealthStatusMissing {
		t.Errorf("Of(nil) = %+v, %v; want Missing", got, err)
	}
}

func TestAggregateIsTheWorst(t *testing.T) {
	tests := []struct {
		name  string
		codes []v1alpha1.HealthStatusCode
		want  v1alpha1.HealthStatusCode
	}{
		{"none", nil, v1alpha1.HealthStatusHealthy},
		{"healthy and suspended", []v1alpha1.HealthStatusCode{"Healthy", "Suspended"}, "Suspended"},
		{"progressing beats suspended", []v1alpha1.HealthStatusCode{"Suspended", "Progressing", "Healthy"}, "Progressing"},
		{"missing beats progressing", []v1alpha1.HealthStatusCode{"Progressing", "Missing"}, "Missing"},
		{"degraded beats missing", []v1alpha1.HealthStatusCode{"Missing", "Degraded"}, "Degraded"},
		{"unknown is worst", []v1alpha1.HealthStatusCode{"Degraded", "Unknown"}, "Unknown"},
	}
	for _, tt := range tests {
		if got := Aggregate(tt.codes...); got != tt.want {
			t.Errorf("%s: Aggregate = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestMalformedObjectIsAnError(t *testing.T) {
	obj := parse(t, `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec: {replicas: "two"}`)
	if _, err := Of(obj); err == nil {
		t.Error("a Deployment with replicas \"two\" was assessed without error")
	}
}

// The kinds FromMetadata names are assessed alike whatever their body
// holds (the API server keeps no status for them): no health of their
// own, Progressing while deleted.
func TestFromMetadata(t *testing.T) {
	for gk := range statusless {
		obj := &unstructured.Unstructured{Object: map[string]any{
			"data":  map[string]any{"k": "v"},
			"rules": []any{map[string]any{"verbs": []any{"get"}}},
		}}
		obj.SetGroupVersionKind(gk.WithVersion("v1"))
		obj.SetName("x")
		got, err := Of(obj)
		if err != nil || got != nil {
			t.Errorf("%s: %+v, %v; want no health of its own", gk, got, err)
		}
		obj.SetDeletionTimestamp(new(metav1.Now()))
		if got, err := Of(obj); err != nil || got == nil || got.Code != v1alpha1.HealthStatusProgressing {
			t.Errorf("%s, deleted: %+v, %v; want Progressing", gk, got, err)
		}
	}
	if FromMetadata(schema.GroupKind{Kind: "Pod"}) || FromMetadata(schema.GroupKind{Group: "apps", Kind: "Deployment"}) {
		t.Error("a kind whose health reads its status is said to need only metadata")
	}
}
