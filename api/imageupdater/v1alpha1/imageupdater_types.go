package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ImageUpdater selects Applications and says which of their images to keep
// up to date, and how. Settings are given for the whole resource, per
// Application selector, and per image; the most specific wins.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=iu
type ImageUpdater struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec ImageUpdaterSpec `json:"spec,omitempty"`
	// +optional
	Status ImageUpdaterStatus `json:"status,omitempty"`
}

// ImageUpdaterList is a list of ImageUpdaters.
//
// +kubebuilder:object:root=true
type ImageUpdaterList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ImageUpdater `json:"items"`
}

// ImageUpdaterSpec is what an ImageUpdater asks for.
type ImageUpdaterSpec struct {
	// Namespace is where the selected Applications live; empty means the
	// ImageUpdater's own namespace.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// CommonUpdateSettings are the defaults of every image.
	// +optional
	CommonUpdateSettings *CommonUpdateSettings `json:"commonUpdateSettings,omitempty"`
	// WriteBackConfig is the default write-back of every Application.
	// +optional
	WriteBackConfig *WriteBackConfig `json:"writeBackConfig,omitempty"`
	// ApplicationRefs select Applications, each with its images.
	// +kubebuilder:validation:MinItems=1
	ApplicationRefs []ApplicationRef `json:"applicationRefs"`
}

// ApplicationRef selects Applications by name and labels.
type ApplicationRef struct {
	// NamePattern is a glob the Application's name must match ("*" for all).
	NamePattern string `json:"namePattern"`
	// LabelSelectors the Application's labels must match, if any.
	// +optional
	LabelSelectors *metav1.LabelSelector `json:"labelSelectors,omitempty"`
	// UseAnnotations reads the images and every setting from the selected
	// Applications' argocd-image-updater.argoproj.io annotations instead of
	// from this resource.
	// +optional
	UseAnnotations *bool `json:"useAnnotations,omitempty"`
	// +optional
	CommonUpdateSettings *CommonUpdateSettings `json:"commonUpdateSettings,omitempty"`
	// +optional
	WriteBackConfig *WriteBackConfig `json:"writeBackConfig,omitempty"`
	// Images to keep up to date; required unless UseAnnotations.
	// +optional
	Images []ImageConfig `json:"images,omitempty"`
}

// ImageConfig is one image to keep up to date.
type ImageConfig struct {
	// Alias names the image in settings and messages.
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9][a-zA-Z0-9-._]*$`
	Alias string `json:"alias"`
	// ImageName is the image, with an optional constraint after a colon,
	// as in the image-list annotation: "ghcr.io/org/web:~1.26".
	ImageName string `json:"imageName"`
	// +optional
	CommonUpdateSettings *CommonUpdateSettings `json:"commonUpdateSettings,omitempty"`
	// ManifestTarget says which Helm parameters or Kustomize image the
	// version is written to.
	// +optional
	ManifestTarget *ManifestTarget `json:"manifestTargets,omitempty"`
}

// CommonUpdateSettings are the per-image settings of the annotations.
type CommonUpdateSettings struct {
	// UpdateStrategy is semver, newest-build, alphabetical or digest.
	// +optional
	UpdateStrategy *string `json:"updateStrategy,omitempty"`
	// +optional
	ForceUpdate *bool `json:"forceUpdate,omitempty"`
	// AllowTags is "regexp:<expression>" or "any".
	// +optional
	AllowTags *string `json:"allowTags,omitempty"`
	// IgnoreTags are globs of tags never chosen.
	// +optional
	IgnoreTags []string `json:"ignoreTags,omitempty"`
	// PullSecret is a credentials source (pullsecret:, secret:, env:, ext:).
	// +optional
	PullSecret *string `json:"pullSecret,omitempty"`
	// Platforms are os/arch[/variant] values.
	// +optional
	Platforms []string `json:"platforms,omitempty"`
}

// WriteBackConfig says how updates are written back.
type WriteBackConfig struct {
	// Method is argocd, git, git:repocreds or git:secret:<namespace>/<name>.
	// +kubebuilder:validation:Pattern=`^(argocd|git|git:[a-zA-Z0-9][a-zA-Z0-9-._/:]*)$`
	// +optional
	Method *string `json:"method,omitempty"`
	// +optional
	GitConfig *GitConfig `json:"gitConfig,omitempty"`
}

// GitConfig is the git write-back's repository, branch and target.
type GitConfig struct {
	// Repository replaces the source's repoURL.
	// +optional
	Repository *string `json:"repository,omitempty"`
	// Branch is "branch", "base:target" or ":target".
	// +optional
	Branch *string `json:"branch,omitempty"`
	// WriteBackTarget is kustomization[:dir], helmvalues[:file] or a path.
	// +optional
	WriteBackTarget *string `json:"writeBackTarget,omitempty"`
}

// ManifestTarget names where the version goes: Helm parameters or a
// Kustomize image, one of them.
type ManifestTarget struct {
	// +optional
	Helm *HelmTarget `json:"helm,omitempty"`
	// +optional
	Kustomize *KustomizeTarget `json:"kustomize,omitempty"`
}

// HelmTarget names the Helm parameters of an image.
type HelmTarget struct {
	// Name is the parameter of the image's name.
	// +optional
	Name string `json:"name,omitempty"`
	// Tag is the parameter of the image's tag.
	// +optional
	Tag string `json:"tag,omitempty"`
	// Spec is one parameter for name:tag; it replaces Name and Tag.
	// +optional
	Spec string `json:"spec,omitempty"`
}

// KustomizeTarget names the Kustomize image an image overrides.
type KustomizeTarget struct {
	Name string `json:"name"`
}

// ImageUpdaterStatus is what the image updater last did for this resource.
type ImageUpdaterStatus struct {
	// LastUpdatedAt is when a cycle last handled the resource.
	// +optional
	LastUpdatedAt *metav1.Time `json:"reconciledAt,omitempty"`
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
