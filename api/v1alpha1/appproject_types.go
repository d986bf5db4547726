package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// AppProject groups Applications and bounds what they may do: which
// repositories they read, which clusters, namespaces and kinds they deploy to,
// when they may sync, and which roles may act on them.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=appprojects,shortName=appproj;appprojs,scope=Namespaced
type AppProject struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec AppProjectSpec `json:"spec"`

	// +optional
	Status AppProjectStatus `json:"status,omitempty,omitzero"`
}

// AppProjectList is a list of AppProjects.
//
// +kubebuilder:object:root=true
type AppProjectList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []AppProject `json:"items"`
}

// AppProjectSpec is the policy of an AppProject. Empty allow-lists allow
// nothing; "*" globs are accepted where Argo CD accepts them.
type AppProjectSpec struct {
	// SourceRepos are the repository URLs (globs) Applications may read.
	// +optional
	SourceRepos []string `json:"sourceRepos,omitempty"`
	// Destinations are the clusters and namespaces (globs) Applications may deploy to.
	// +optional
	Destinations []ApplicationDestination `json:"destinations,omitempty"`
	// +optional
	Description string `json:"description,omitempty"`
	// +optional
	Roles []ProjectRole `json:"roles,omitempty"`
	// ClusterResourceWhitelist are the cluster-scoped kinds (and, by name,
	// objects) Applications may create; empty allows none.
	// +optional
	ClusterResourceWhitelist []ClusterResourceRestrictionItem `json:"clusterResourceWhitelist,omitempty"`
	// +optional
	NamespaceResourceBlacklist []metav1.GroupKind `json:"namespaceResourceBlacklist,omitempty"`
	// OrphanedResources reports live resources in the destination namespaces
	// that belong to no Application.
	// +optional
	OrphanedResources *OrphanedResourcesMonitorSettings `json:"orphanedResources,omitempty"`
	// +optional
	SyncWindows SyncWindows `json:"syncWindows,omitempty"`
	// +optional
	NamespaceResourceWhitelist []metav1.GroupKind `json:"namespaceResourceWhitelist,omitempty"`
	// SignatureKeys are GPG key IDs; when set, only signed commits may be synced.
	// +optional
	SignatureKeys []SignatureKey `json:"signatureKeys,omitempty"`
	// ClusterResourceBlacklist are the cluster-scoped kinds (and, by name,
	// objects) Applications may not create.
	// +optional
	ClusterResourceBlacklist []ClusterResourceRestrictionItem `json:"clusterResourceBlacklist,omitempty"`
	// SourceNamespaces are the namespaces (globs) outside the control plane
	// namespace whose Applications may use this project.
	// +optional
	SourceNamespaces []string `json:"sourceNamespaces,omitempty"`
	// PermitOnlyProjectScopedClusters restricts destinations to clusters that
	// are registered to this project.
	// +optional
	PermitOnlyProjectScopedClusters bool `json:"permitOnlyProjectScopedClusters,omitempty"`
	// DestinationServiceAccounts picks the service account a sync impersonates
	// for each destination.
	// +optional
	DestinationServiceAccounts []ApplicationDestinationServiceAccount `json:"destinationServiceAccounts,omitempty"`
}

// ClusterResourceRestrictionItem is an entry of a cluster resource list: a
// group and a kind (globs), and optionally a name glob that narrows the
// entry to the objects it matches.
type ClusterResourceRestrictionItem struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	// +optional
	Name string `json:"name,omitempty"`
}

// ProjectRole is an RBAC role scoped to one project.
type ProjectRole struct {
	Name string `json:"name"`
	// +optional
	Description string `json:"description,omitempty"`
	// Policies are Casbin policy lines, e.g. "p, proj:my:role, applications, get, my/*, allow".
	// +optional
	Policies []string `json:"policies,omitempty"`
	// +optional
	JWTTokens []JWTToken `json:"jwtTokens,omitempty"`
	// Groups are OIDC group claims bound to the role.
	// +optional
	Groups []string `json:"groups,omitempty"`
}

// JWTToken records a token issued for a project role; the token itself is not stored.
type JWTToken struct {
	IssuedAt int64 `json:"iat"`
	// +optional
	ExpiresAt int64 `json:"exp,omitempty"`
	// +optional
	ID string `json:"id,omitempty"`
}

// JWTTokens wraps a list of JWTToken, as status.jwtTokensByRole stores it.
type JWTTokens struct {
	// +optional
	Items []JWTToken `json:"items,omitempty"`
}

// SyncWindows is a list of SyncWindow.
type SyncWindows []SyncWindow

// SyncWindow allows or denies syncs of matching Applications during a
// cron-scheduled period.
type SyncWindow struct {
	// Kind is "allow" or "deny".
	// +optional
	Kind string `json:"kind,omitempty"`
	// Schedule is a cron expression for when the window opens.
	// +optional
	Schedule string `json:"schedule,omitempty"`
	// Duration is how long the window stays open, e.g. "1h".
	// +optional
	Duration string `json:"duration,omitempty"`
	// +optional
	Applications []string `json:"applications,omitempty"`
	// +optional
	Namespaces []string `json:"namespaces,omitempty"`
	// +optional
	Clusters []string `json:"clusters,omitempty"`
	// ManualSync lets users sync by hand while a deny window is active.
	// +optional
	ManualSync bool `json:"manualSync,omitempty"`
	// +optional
	TimeZone string `json:"timeZone,omitempty"`
	// UseAndOperator requires an Application to match every selector, not any.
	// +optional
	UseAndOperator bool `json:"andOperator,omitempty"`
	// +optional
	Description string `json:"description,omitempty"`
}

// OrphanedResourcesMonitorSettings configures orphaned-resource reporting.
type OrphanedResourcesMonitorSettings struct {
	// Warn adds a warning condition to Applications with orphaned resources.
	// +optional
	Warn *bool `json:"warn,omitempty"`
	// +optional
	Ignore []OrphanedResourceKey `json:"ignore,omitempty"`
}

// OrphanedResourceKey selects resources that are never reported as orphaned.
type OrphanedResourceKey struct {
	// +optional
	Group string `json:"group,omitempty"`
	// +optional
	Kind string `json:"kind,omitempty"`
	// +optional
	Name string `json:"name,omitempty"`
}

// SignatureKey is the ID of a GPG key, in hexadecimal.
type SignatureKey struct {
	KeyID string `json:"keyID"`
}

// ApplicationDestinationServiceAccount maps a destination (globs allowed) to
// the service account that syncs to it.
type ApplicationDestinationServiceAccount struct {
	Server string `json:"server"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// DefaultServiceAccount is "name" or "namespace:name".
	DefaultServiceAccount string `json:"defaultServiceAccount"`
}

// AppProjectStatus is the observed state of an AppProject.
type AppProjectStatus struct {
	// +optional
	JWTTokensByRole map[string]JWTTokens `json:"jwtTokensByRole,omitempty"`
}
