package apply

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var namespaces = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}

// EnsureNamespace creates the namespace a sync deploys into (sync option
// CreateNamespace). With labels or annotations (managedNamespaceMetadata)
// they are server-side applied, on a namespace created now or one that
// exists already; without, an existing namespace is left untouched.
func (a *Applier) EnsureNamespace(ctx context.Context, name string, labels, annotations map[string]string, dryRun bool) error {
	res := a.client.Resource(namespaces)
	if len(labels) == 0 && len(annotations) == 0 {
		if _, err := res.Get(ctx, name, metav1.GetOptions{}); err == nil {
			return nil
		} else if !apierrors.IsNotFound(err) {
			return fmt.Errorf("get namespace %s: %w", name, err)
		}
	}
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	ns.SetLabels(labels)
	ns.SetAnnotations(annotations)
	if _, err := serverSideApply(ctx, res, ns, Options{DryRun: dryRun, Validate: true}); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}
