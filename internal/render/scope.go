package render

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// clusterScoped lists the cluster-scoped kinds built into Kubernetes, by
// group and kind; versions do not change a kind's scope.
var clusterScoped = groupKinds(map[string][]string{
	"":                             {"Namespace", "Node", "PersistentVolume", "ComponentStatus"},
	"rbac.authorization.k8s.io":    {"ClusterRole", "ClusterRoleBinding"},
	"apiextensions.k8s.io":         {"CustomResourceDefinition"},
	"apiregistration.k8s.io":       {"APIService"},
	"storage.k8s.io":               {"StorageClass", "CSIDriver", "CSINode", "VolumeAttachment", "VolumeAttributesClass"},
	"scheduling.k8s.io":            {"PriorityClass"},
	"networking.k8s.io":            {"IngressClass", "IPAddress", "ServiceCIDR"},
	"node.k8s.io":                  {"RuntimeClass"},
	"certificates.k8s.io":          {"CertificateSigningRequest", "ClusterTrustBundle"},
	"flowcontrol.apiserver.k8s.io": {"FlowSchema", "PriorityLevelConfiguration"},
	"resource.k8s.io":              {"DeviceClass", "ResourceSlice"},
	"internal.apiserver.k8s.io":    {"StorageVersion"},
	"policy":                       {"PodSecurityPolicy"},
	"extensions":                   {"PodSecurityPolicy"},
	"authentication.k8s.io":        {"TokenReview", "SelfSubjectReview"},
	"authorization.k8s.io":         {"SubjectAccessReview", "SelfSubjectAccessReview", "SelfSubjectRulesReview"},
	"admissionregistration.k8s.io": {
		"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
		"ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding",
		"MutatingAdmissionPolicy", "MutatingAdmissionPolicyBinding",
	},
})

// namespacedKinds lists the namespaced kinds built into Kubernetes.
var namespacedKinds = groupKinds(map[string][]string{
	"": {
		"Pod", "Service", "ConfigMap", "Secret", "ServiceAccount", "PersistentVolumeClaim",
		"Endpoints", "Event", "LimitRange", "ResourceQuota", "ReplicationController",
		"PodTemplate", "Binding",
	},
	"apps":                      {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ControllerRevision"},
	"batch":                     {"Job", "CronJob"},
	"autoscaling":               {"HorizontalPodAutoscaler"},
	"networking.k8s.io":         {"Ingress", "NetworkPolicy"},
	"extensions":                {"Deployment", "DaemonSet", "ReplicaSet", "Ingress", "NetworkPolicy"},
	"policy":                    {"PodDisruptionBudget"},
	"rbac.authorization.k8s.io": {"Role", "RoleBinding"},
	"coordination.k8s.io":       {"Lease"},
	"discovery.k8s.io":          {"EndpointSlice"},
	"events.k8s.io":             {"Event"},
	"storage.k8s.io":            {"CSIStorageCapacity"},
	"authorization.k8s.io":      {"LocalSubjectAccessReview"},
	"resource.k8s.io":           {"ResourceClaim", "ResourceClaimTemplate"},
})

func groupKinds(byGroup map[string][]string) map[schema.GroupKind]bool {
	out := make(map[schema.GroupKind]bool)
	for group, kinds := range byGroup {
		for _, k := range kinds {
			out[schema.GroupKind{Group: group, Kind: k}] = true
		}
	}
	return out
}

// builtinScope knows the scope of Kubernetes' own kinds.
func builtinScope(gvk schema.GroupVersionKind) (namespaced, known bool) {
	gk := gvk.GroupKind()
	switch {
	case clusterScoped[gk]:
		return false, true
	case namespacedKinds[gk]:
		return true, true
	}
	return false, false
}

// crdScope knows the scope of the custom resources defined by the
// CustomResourceDefinitions among objs, so that an application shipping
// its CRDs gets its custom resources defaulted before the CRDs exist.
func crdScope(objs []*unstructured.Unstructured) ScopeFunc {
	scopes := make(map[schema.GroupKind]bool)
	for _, o := range objs {
		if o.GetKind() != "CustomResourceDefinition" || o.GroupVersionKind().Group != "apiextensions.k8s.io" {
			continue
		}
		group, _, _ := unstructured.NestedString(o.Object, "spec", "group")
		kind, _, _ := unstructured.NestedString(o.Object, "spec", "names", "kind")
		scope, _, _ := unstructured.NestedString(o.Object, "spec", "scope")
		if kind == "" || (scope != "Namespaced" && scope != "Cluster") {
			continue
		}
		scopes[schema.GroupKind{Group: group, Kind: kind}] = scope == "Namespaced"
	}
	return func(gvk schema.GroupVersionKind) (bool, bool) {
		namespaced, ok := scopes[gvk.GroupKind()]
		return namespaced, ok
	}
}

// scopeChain asks each ScopeFunc in turn and returns the first answer of
// one that knows the kind.
func scopeChain(funcs ...ScopeFunc) ScopeFunc {
	return func(gvk schema.GroupVersionKind) (bool, bool) {
		for _, f := range funcs {
			if f == nil {
				continue
			}
			if namespaced, known := f(gvk); known {
				return namespaced, true
			}
		}
		return false, false
	}
}

// defaultNamespaces gives namespaced objects without a namespace the
// destination namespace, and takes the namespace off cluster-scoped ones,
// which have none. Objects of kinds scope does not know are left as
// written.
func defaultNamespaces(objs []*unstructured.Unstructured, namespace string, scope ScopeFunc) {
	for _, o := range objs {
		namespaced, known := scope(o.GroupVersionKind())
		switch {
		case !known:
		case !namespaced:
			if o.GetNamespace() != "" {
				o.SetNamespace("")
			}
		case o.GetNamespace() == "" && namespace != "":
			o.SetNamespace(namespace)
		}
	}
}
