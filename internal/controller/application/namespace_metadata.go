package application

import (
	"k8s.io/apimachinery/pkg/api/equality"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/sync"
)

// managedNamespaceMetadata is the metadata the Application asks for on the
// namespace CreateNamespace=true makes; nil when it asks for none or does
// not create its namespace.
func managedNamespaceMetadata(app *v1alpha1.Application) *v1alpha1.ManagedNamespaceMetadata {
	sp := app.Spec.SyncPolicy
	if sp == nil || sp.ManagedNamespaceMetadata == nil {
		return nil
	}
	if opts, err := sync.ParseOptions(sp.SyncOptions); err != nil || !opts.CreateNamespace {
		return nil
	}
	return sp.ManagedNamespaceMetadata
}

// namespaceMetadataMoved reports whether the namespace metadata the
// Application asks for differs from what its last sync applied (recorded
// in syncResult.managedNamespaceMetadata): the Application is then out of
// sync, and an automated sync brings the namespace in step.
func namespaceMetadataMoved(app *v1alpha1.Application) bool {
	last := app.Status.OperationState
	if last == nil || last.SyncResult == nil || last.Phase != v1alpha1.OperationSucceeded {
		return false
	}
	return !equality.Semantic.DeepEqual(managedNamespaceMetadata(app), last.SyncResult.ManagedNamespaceMetadata)
}
