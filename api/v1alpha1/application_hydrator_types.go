package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// SourceHydrator renders manifests from a dry source, commits them to a branch
// and deploys from that branch.
type SourceHydrator struct {
	DrySource  DrySource  `json:"drySource"`
	SyncSource SyncSource `json:"syncSource"`
	// HydrateTo is a staging branch written instead of SyncSource.TargetBranch,
	// for promotion through pull requests.
	// +optional
	HydrateTo *HydrateTo `json:"hydrateTo,omitempty"`
}

// DrySource is the unrendered source of a SourceHydrator.
type DrySource struct {
	RepoURL        string `json:"repoURL"`
	TargetRevision string `json:"targetRevision"`
	Path           string `json:"path"`
	// +optional
	Helm *ApplicationSourceHelm `json:"helm,omitempty"`
	// +optional
	Kustomize *ApplicationSourceKustomize `json:"kustomize,omitempty"`
	// +optional
	Directory *ApplicationSourceDirectory `json:"directory,omitempty"`
	// +optional
	Plugin *ApplicationSourcePlugin `json:"plugin,omitempty"`
}

// SyncSource is the branch and path the rendered manifests are committed to and
// deployed from.
type SyncSource struct {
	TargetBranch string `json:"targetBranch"`
	Path         string `json:"path"`
}

// HydrateTo is the branch rendered manifests are pushed to before promotion.
type HydrateTo struct {
	TargetBranch string `json:"targetBranch"`
}

// SourceHydratorStatus is the progress of the source hydrator.
type SourceHydratorStatus struct {
	// +optional
	LastSuccessfulOperation *SuccessfulHydrateOperation `json:"lastSuccessfulOperation,omitempty"`
	// +optional
	CurrentOperation *HydrateOperation `json:"currentOperation,omitempty"`
}

// HydrateOperation is a hydration in progress or just finished.
type HydrateOperation struct {
	// +optional
	StartedAt metav1.Time `json:"startedAt,omitempty,omitzero"`
	// +optional
	FinishedAt *metav1.Time          `json:"finishedAt,omitempty"`
	Phase      HydrateOperationPhase `json:"phase"`
	Message    string                `json:"message"`
	// +optional
	DrySHA string `json:"drySHA,omitempty"`
	// +optional
	HydratedSHA string `json:"hydratedSHA,omitempty"`
	// SourceHydrator is the configuration the hydration ran with.
	// +optional
	SourceHydrator SourceHydrator `json:"sourceHydrator,omitempty,omitzero"`
}

// SuccessfulHydrateOperation is the last hydration that succeeded.
type SuccessfulHydrateOperation struct {
	// +optional
	DrySHA string `json:"drySHA,omitempty"`
	// +optional
	HydratedSHA string `json:"hydratedSHA,omitempty"`
	// +optional
	SourceHydrator SourceHydrator `json:"sourceHydrator,omitempty,omitzero"`
}
