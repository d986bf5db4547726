package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DefaultRevisionHistoryLimit is how many entries of status.history are kept when
// spec.revisionHistoryLimit is unset.
const DefaultRevisionHistoryLimit int64 = 10

// Application deploys the manifests of one or more sources to a destination
// cluster and namespace, and reports how the live state compares.
//
// Argo CD keeps status in the main resource; capstan declares a status
// subresource so that writers of spec and of status cannot overwrite each other.
// The requested operation stays a top-level field beside spec, as in Argo CD.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=applications,shortName=app;apps,scope=Namespaced
// +kubebuilder:printcolumn:name="Sync Status",type=string,JSONPath=`.status.sync.status`
// +kubebuilder:printcolumn:name="Health Status",type=string,JSONPath=`.status.health.status`
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.sync.revision`,priority=10
// +kubebuilder:printcolumn:name="Project",type=string,JSONPath=`.spec.project`,priority=10
type Application struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec ApplicationSpec `json:"spec"`

	// Status is written by the controller alone, so the CRD gives it no
	// schema: the API server would otherwise check every status write
	// against some 2,800 lines of it, about a third of what such a write
	// costs it (docs/performance.md, "Status without a schema"). The CRD
	// also makes it one atomic field, so that the managed-fields entry of
	// each status write is one field however large the status, where a
	// field-by-field entry made each write cost the API server about a
	// third more (docs/performance.md, "Status as one field").
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	// +structType=atomic
	Status ApplicationStatus `json:"status,omitempty,omitzero"`

	// Operation is a sync requested by a user or by automation; the controller
	// clears it once the operation has finished.
	// +optional
	Operation *Operation `json:"operation,omitempty"`
}

// ApplicationList is a list of Applications.
//
// +kubebuilder:object:root=true
type ApplicationList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []Application `json:"items"`
}

// ApplicationSpec is the desired state of an Application.
type ApplicationSpec struct {
	// Source is the single source of the manifests. Mutually exclusive with
	// Sources; Sources wins when both are set.
	// +optional
	Source *ApplicationSource `json:"source,omitempty"`

	Destination ApplicationDestination `json:"destination"`

	// Project is the name of the AppProject the Application belongs to;
	// "default" when the user has no project of their own.
	Project string `json:"project"`

	// +optional
	SyncPolicy *SyncPolicy `json:"syncPolicy,omitempty"`

	// +optional
	IgnoreDifferences IgnoreDifferences `json:"ignoreDifferences,omitempty"`

	// Info is free-form name/value pairs shown to users.
	// +optional
	Info []Info `json:"info,omitempty"`

	// RevisionHistoryLimit caps status.history; DefaultRevisionHistoryLimit when unset.
	// +optional
	RevisionHistoryLimit *int64 `json:"revisionHistoryLimit,omitempty"`

	// Sources lists several sources whose manifests are combined.
	// +optional
	Sources ApplicationSources `json:"sources,omitempty"`

	// SourceHydrator renders a dry source into a hydrated branch and deploys
	// from there. Mutually exclusive with Source and Sources.
	// +optional
	SourceHydrator *SourceHydrator `json:"sourceHydrator,omitempty"`
}

// ApplicationDestination names the cluster, by URL or by name, and the default
// namespace that an Application deploys to.
type ApplicationDestination struct {
	// Server is the URL of the cluster's API server.
	// +optional
	Server string `json:"server,omitempty"`
	// Namespace applies to namespaced resources that set no namespace of their own.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// Name is the registered name of the cluster, an alternative to Server.
	// +optional
	Name string `json:"name,omitempty"`
}

// IgnoreDifferences is a list of ResourceIgnoreDifferences.
type IgnoreDifferences []ResourceIgnoreDifferences

// ResourceIgnoreDifferences selects resources and the parts of them that are
// left out when the desired and live states are compared.
type ResourceIgnoreDifferences struct {
	// +optional
	Group string `json:"group,omitempty"`
	Kind  string `json:"kind"`
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +optional
	JSONPointers []string `json:"jsonPointers,omitempty"`
	// +optional
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
	// ManagedFieldsManagers ignores the fields owned by these field managers.
	// +optional
	ManagedFieldsManagers []string `json:"managedFieldsManagers,omitempty"`
}

// Info is a name/value pair of extra information about an Application or operation.
type Info struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// HasMultipleSources reports whether the Application uses spec.sources.
func (s *ApplicationSpec) HasMultipleSources() bool {
	return len(s.Sources) > 0
}

// GetSources returns spec.sources, or spec.source as a one-element list, or nil.
func (s *ApplicationSpec) GetSources() ApplicationSources {
	if s.HasMultipleSources() {
		return s.Sources
	}
	if s.Source != nil {
		return ApplicationSources{*s.Source}
	}
	return nil
}

// GetSource returns spec.source, or the first of spec.sources, or an empty source.
func (s *ApplicationSpec) GetSource() ApplicationSource {
	if s.HasMultipleSources() {
		return s.Sources[0]
	}
	if s.Source != nil {
		return *s.Source
	}
	return ApplicationSource{}
}

// GetRevisionHistoryLimit returns spec.revisionHistoryLimit or its default.
func (s *ApplicationSpec) GetRevisionHistoryLimit() int64 {
	if s.RevisionHistoryLimit != nil {
		return *s.RevisionHistoryLimit
	}
	return DefaultRevisionHistoryLimit
}
