// Package health assesses live objects the way Argo CD users expect:
// built-in checks for the workload, service, storage and batch kinds,
// condition-based health for custom resources, and the aggregate health of
// an Application as the worst of its resources.
package health

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Status is the health of one object.
type Status struct {
	Code    v1alpha1.HealthStatusCode
	Message string
}

// severity orders health from best to worst; the Application's health is
// the worst of its resources.
var severity = map[v1alpha1.HealthStatusCode]int{
	v1alpha1.HealthStatusHealthy:     0,
	v1alpha1.HealthStatusSuspended:   1,
	v1alpha1.HealthStatusProgressing: 2,
	v1alpha1.HealthStatusMissing:     3,
	v1alpha1.HealthStatusDegraded:    4,
	v1alpha1.HealthStatusUnknown:     5,
}

// Worse reports whether a is worse than b.
func Worse(a, b v1alpha1.HealthStatusCode) bool { return severity[a] > severity[b] }

// Aggregate is the worst of codes; Healthy when there are none.
func Aggregate(codes ...v1alpha1.HealthStatusCode) v1alpha1.HealthStatusCode {
	worst := v1alpha1.HealthStatusHealthy
	for _, c := range codes {
		if Worse(c, worst) {
			worst = c
		}
	}
	return worst
}

type check func(obj *unstructured.Unstructured) (*Status, error)

var checks = map[schema.GroupKind]check{
	{Group: "apps", Kind: "Deployment"}:                               deployment,
	{Group: "apps", Kind: "StatefulSet"}:                              statefulSet,
	{Group: "apps", Kind: "DaemonSet"}:                                daemonSet,
	{Group: "apps", Kind: "ReplicaSet"}:                               replicaSet,
	{Group: "", Kind: "Pod"}:                                          pod,
	{Group: "", Kind: "Service"}:                                      service,
	{Group: "networking.k8s.io", Kind: "Ingress"}:                     ingress,
	{Group: "", Kind: "PersistentVolumeClaim"}:                        pvc,
	{Group: "batch", Kind: "Job"}:                                     job,
	{Group: "batch", Kind: "CronJob"}:                                 cronJob,
	{Group: "autoscaling", Kind: "HorizontalPodAutoscaler"}:           hpa,
	{Group: "apiregistration.k8s.io", Kind: "APIService"}:             apiService,
	{Group: "argoproj.io", Kind: "Application"}:                       application,
	{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}: crd,
}

// Of assesses obj. A nil object is Missing. Kinds without a built-in check
// are judged by their status conditions; nil means the object has no health
// of its own (a ConfigMap, say) and does not count towards the aggregate.
func Of(obj *unstructured.Unstructured) (*Status, error) {
	if obj == nil {
		return &Status{Code: v1alpha1.HealthStatusMissing}, nil
	}
	if obj.GetDeletionTimestamp() != nil {
		return &Status{Code: v1alpha1.HealthStatusProgressing, Message: "Pending deletion"}, nil
	}
	gk := obj.GroupVersionKind().GroupKind()
	if c, ok := checks[gk]; ok {
		st, err := c(obj)
		if err != nil {
			return nil, fmt.Errorf("assess health of %s %s/%s: %w", gk.Kind, obj.GetNamespace(), obj.GetName(), err)
		}
		return st, nil
	}
	return byConditions(obj), nil
}

// convert decodes obj into the typed struct of its kind.
func convert[T any](obj *unstructured.Unstructured) (*T, error) {
	var out T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(obj.Object, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func healthy(msg string) *Status { return &Status{Code: v1alpha1.HealthStatusHealthy, Message: msg} }
func progressing(msg string) *Status {
	return &Status{Code: v1alpha1.HealthStatusProgressing, Message: msg}
}
func degraded(msg string) *Status { return &Status{Code: v1alpha1.HealthStatusDegraded, Message: msg} }
func suspended(msg string) *Status {
	return &Status{Code: v1alpha1.HealthStatusSuspended, Message: msg}
}

// statusless lists kinds whose objects have no status: nothing but their
// metadata (a deletion under way) bears on their health.
var statusless = map[schema.GroupKind]bool{
	{Group: "", Kind: "ConfigMap"}:                                                  true,
	{Group: "", Kind: "Secret"}:                                                     true,
	{Group: "", Kind: "ServiceAccount"}:                                             true,
	{Group: "rbac.authorization.k8s.io", Kind: "Role"}:                              true,
	{Group: "rbac.authorization.k8s.io", Kind: "RoleBinding"}:                       true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRole"}:                       true,
	{Group: "rbac.authorization.k8s.io", Kind: "ClusterRoleBinding"}:                true,
	{Group: "scheduling.k8s.io", Kind: "PriorityClass"}:                             true,
	{Group: "storage.k8s.io", Kind: "StorageClass"}:                                 true,
	{Group: "admissionregistration.k8s.io", Kind: "ValidatingWebhookConfiguration"}: true,
	{Group: "admissionregistration.k8s.io", Kind: "MutatingWebhookConfiguration"}:   true,
}

// FromMetadata reports whether Of assesses objects of kind gk from their
// metadata alone: the kind has no status.
func FromMetadata(gk schema.GroupKind) bool { return statusless[gk] }
