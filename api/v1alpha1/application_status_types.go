package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ApplicationStatus is the observed state of an Application.
//
// Struct-valued fields are tagged omitzero as well as omitempty: encoding/json
// ignores omitempty on structs, and without omitzero an empty status would be
// written back as a tree of empty objects that was never in the manifest.
type ApplicationStatus struct {
	// Resources lists every resource of the Application with its sync and health.
	// +optional
	Resources []ResourceStatus `json:"resources,omitempty"`
	// +optional
	Sync SyncStatus `json:"sync,omitempty,omitzero"`
	// +optional
	Health AppHealthStatus `json:"health,omitempty,omitzero"`
	// History lists past syncs, newest last, capped by spec.revisionHistoryLimit.
	// +optional
	History RevisionHistories `json:"history,omitempty"`
	// +optional
	Conditions []ApplicationCondition `json:"conditions,omitempty"`
	// ReconciledAt is when the Application was last compared with its source.
	// +optional
	ReconciledAt *metav1.Time `json:"reconciledAt,omitempty"`
	// +optional
	OperationState *OperationState `json:"operationState,omitempty"`
	// ObservedAt is deprecated in Argo CD and kept for compatibility.
	// +optional
	ObservedAt *metav1.Time `json:"observedAt,omitempty"`
	// +optional
	SourceType ApplicationSourceType `json:"sourceType,omitempty"`
	// +optional
	Summary ApplicationSummary `json:"summary,omitempty,omitzero"`
	// ResourceHealthSource is "appTree" when resource health lives outside
	// status.resources, or empty.
	// +optional
	ResourceHealthSource ResourcesHealthSource `json:"resourceHealthSource,omitempty"`
	// +optional
	SourceTypes []ApplicationSourceType `json:"sourceTypes,omitempty"`
	// ControllerNamespace is the namespace of the controller that owns the Application.
	// +optional
	ControllerNamespace string `json:"controllerNamespace,omitempty"`
	// +optional
	SourceHydrator SourceHydratorStatus `json:"sourceHydrator,omitempty,omitzero"`
}

// ResourceStatus is the sync and health of one resource of an Application.
type ResourceStatus struct {
	// +optional
	Group string `json:"group,omitempty"`
	// +optional
	Version string `json:"version,omitempty"`
	// +optional
	Kind string `json:"kind,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Status SyncStatusCode `json:"status,omitempty"`
	// +optional
	Health *HealthStatus `json:"health,omitempty"`
	// Hook is true for hook resources, which are not part of the desired state.
	// +optional
	Hook bool `json:"hook,omitempty"`
	// +optional
	RequiresPruning bool `json:"requiresPruning,omitempty"`
	// +optional
	SyncWave int64 `json:"syncWave,omitempty"`
	// RequiresDeletionConfirmation is set on resources annotated
	// argocd.argoproj.io/sync-options: Delete=confirm or Prune=confirm.
	// +optional
	RequiresDeletionConfirmation bool `json:"requiresDeletionConfirmation,omitempty"`
	// OwnedFields is capstan's own: a digest of the fields its
	// server-side apply owned on the live object when it last found the
	// object as it applied it, and of the desired object it applied, so
	// that a controller that starts can tell the object unchanged from its
	// watch, without reading it. Empty when unknown; clients that do not
	// know it ignore it.
	// +optional
	OwnedFields string `json:"ownedFields,omitempty"`
}

// SyncStatus compares the desired state at a revision with the live state.
type SyncStatus struct {
	Status SyncStatusCode `json:"status"`
	// ComparedTo is the spec the comparison was made against.
	// +optional
	ComparedTo ComparedTo `json:"comparedTo,omitempty,omitzero"`
	// +optional
	Revision string `json:"revision,omitempty"`
	// +optional
	Revisions []string `json:"revisions,omitempty"`
}

// ComparedTo is the part of the spec a comparison used.
type ComparedTo struct {
	// +optional
	Source      ApplicationSource      `json:"source,omitempty,omitzero"`
	Destination ApplicationDestination `json:"destination"`
	// +optional
	Sources ApplicationSources `json:"sources,omitempty"`
	// +optional
	IgnoreDifferences IgnoreDifferences `json:"ignoreDifferences,omitempty"`
}

// AppHealthStatus is the aggregated health of an Application.
type AppHealthStatus struct {
	// +optional
	Status HealthStatusCode `json:"status,omitempty"`
	// Message is deprecated in Argo CD 3 and kept for compatibility.
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
}

// HealthStatus is the health of one resource.
type HealthStatus struct {
	// +optional
	Status HealthStatusCode `json:"status,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
}

// RevisionHistories is a list of RevisionHistory.
type RevisionHistories []RevisionHistory

// RevisionHistory records one completed sync.
type RevisionHistory struct {
	// +optional
	Revision   string      `json:"revision,omitempty"`
	DeployedAt metav1.Time `json:"deployedAt"`
	// ID is unique within the Application and used for rollback.
	ID int64 `json:"id"`
	// +optional
	Source ApplicationSource `json:"source,omitempty,omitzero"`
	// +optional
	DeployStartedAt *metav1.Time `json:"deployStartedAt,omitempty"`
	// +optional
	Sources ApplicationSources `json:"sources,omitempty"`
	// +optional
	Revisions []string `json:"revisions,omitempty"`
	// +optional
	InitiatedBy OperationInitiator `json:"initiatedBy,omitempty,omitzero"`
}

// ApplicationCondition is an error or warning about an Application.
type ApplicationCondition struct {
	Type    ApplicationConditionType `json:"type"`
	Message string                   `json:"message"`
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
}

// ApplicationSummary holds facts gathered from the resources, for display.
type ApplicationSummary struct {
	// +optional
	ExternalURLs []string `json:"externalURLs,omitempty"`
	// +optional
	Images []string `json:"images,omitempty"`
}

// OperationState is the progress and result of the current or last operation.
type OperationState struct {
	Operation Operation      `json:"operation"`
	Phase     OperationPhase `json:"phase"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	SyncResult *SyncOperationResult `json:"syncResult,omitempty"`
	StartedAt  metav1.Time          `json:"startedAt"`
	// +optional
	FinishedAt *metav1.Time `json:"finishedAt,omitempty"`
	// RetryCount is how many times the operation has been retried.
	// +optional
	RetryCount int64 `json:"retryCount,omitempty"`
}

// SyncOperationResult is the outcome of a sync.
type SyncOperationResult struct {
	// +optional
	Resources ResourceResults `json:"resources,omitempty"`
	Revision  string          `json:"revision"`
	// +optional
	Source ApplicationSource `json:"source,omitempty,omitzero"`
	// +optional
	Sources ApplicationSources `json:"sources,omitempty"`
	// +optional
	Revisions []string `json:"revisions,omitempty"`
	// +optional
	ManagedNamespaceMetadata *ManagedNamespaceMetadata `json:"managedNamespaceMetadata,omitempty"`
}

// ResourceResults is a list of ResourceResult.
type ResourceResults []ResourceResult

// ResourceResult is what a sync did to one resource.
type ResourceResult struct {
	Group     string `json:"group"`
	Version   string `json:"version"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// +optional
	Status ResultCode `json:"status,omitempty"`
	// +optional
	Message string `json:"message,omitempty"`
	// +optional
	HookType HookType `json:"hookType,omitempty"`
	// HookPhase is the phase of a hook resource: Running, Succeeded, and so on.
	// +optional
	HookPhase OperationPhase `json:"hookPhase,omitempty"`
	// +optional
	SyncPhase SyncPhase `json:"syncPhase,omitempty"`
	// +optional
	Images []string `json:"images,omitempty"`
}
