package sync

import (
	"cmp"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// kindOrder is the order in which kinds are applied inside one wave: what
// others depend on first (namespaces, policies, accounts, configuration,
// storage, CRDs, RBAC), then Services, then workloads, then what routes to
// or extends them. It is Helm's install order, which Argo CD follows too.
var kindOrder = []string{
	"Namespace",
	"NetworkPolicy",
	"ResourceQuota",
	"LimitRange",
	"PodSecurityPolicy",
	"PodDisruptionBudget",
	"ServiceAccount",
	"Secret",
	"SecretList",
	"ConfigMap",
	"StorageClass",
	"PersistentVolume",
	"PersistentVolumeClaim",
	"CustomResourceDefinition",
	"ClusterRole",
	"ClusterRoleList",
	"ClusterRoleBinding",
	"ClusterRoleBindingList",
	"Role",
	"RoleList",
	"RoleBinding",
	"RoleBindingList",
	"Service",
	"DaemonSet",
	"Pod",
	"ReplicationController",
	"ReplicaSet",
	"Deployment",
	"HorizontalPodAutoscaler",
	"StatefulSet",
	"Job",
	"CronJob",
	"IngressClass",
	"Ingress",
	"APIService",
	"MutatingWebhookConfiguration",
	"ValidatingWebhookConfiguration",
}

var kindRank = func() map[string]int {
	m := make(map[string]int, len(kindOrder))
	for i, k := range kindOrder {
		m[k] = i
	}
	return m
}()

// KindRank is the position of kind in the apply order; kinds not in the
// list, custom resources among them, come after every listed kind.
func KindRank(kind string) int {
	if r, ok := kindRank[kind]; ok {
		return r
	}
	return len(kindOrder)
}

// firstPhase is where an object sorts: its earliest phase.
func firstPhase(obj *unstructured.Unstructured) Phase {
	h := HookOf(obj)
	if len(h.Phases) == 0 {
		return PhaseSync
	}
	return slices.Min(h.Phases)
}

// Compare orders two objects for a sync: phase, wave, kind order, then
// kind, namespace and name so that the order is total and stable.
func Compare(a, b *unstructured.Unstructured) int {
	return cmp.Or(
		cmp.Compare(firstPhase(a), firstPhase(b)),
		cmp.Compare(WaveOf(a), WaveOf(b)),
		cmp.Compare(KindRank(a.GetKind()), KindRank(b.GetKind())),
		cmp.Compare(a.GetKind(), b.GetKind()),
		cmp.Compare(a.GetNamespace(), b.GetNamespace()),
		cmp.Compare(a.GetName(), b.GetName()),
	)
}

// Sort sorts objs in sync order, in place.
func Sort(objs []*unstructured.Unstructured) {
	slices.SortStableFunc(objs, Compare)
}
