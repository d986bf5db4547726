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
	if len(labels) == 0 && len(annotations) == 0 {
		if exists, err := a.NamespaceExists(ctx, name); err != nil || exists {
			return err
		}
	}
	return a.CreateNamespace(ctx, name, labels, annotations, dryRun)
}

// CreateNamespace server-side applies the namespace with labels and
// annotations, for a caller that knows it is missing or wants its metadata
// set.
func (a *Applier) CreateNamespace(ctx context.Context, name string, labels, annotations map[string]string, dryRun bool) error {
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(name)
	ns.SetLabels(labels)
	ns.SetAnnotations(annotations)
	// Nothing of the answer is read: it is asked for as metadata alone.
	if _, err := metadataApply(ctx, a.meta.Resource(namespaces), ns, Options{DryRun: dryRun, Validate: true}); err != nil {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// NamespaceExists reports whether the namespace exists.
func (a *Applier) NamespaceExists(ctx context.Context, name string) (bool, error) {
	_, err := a.meta.Resource(namespaces).Get(ctx, name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("get namespace %s: %w", name, err)
	}
	return true, nil
}
