package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ApplicationSources is a list of ApplicationSource.
type ApplicationSources []ApplicationSource

// ApplicationSource says where manifests come from (a Git path or a Helm chart)
// and how the tool that renders them is configured.
type ApplicationSource struct {
	// RepoURL is the URL of the Git repository, Helm repository or OCI registry.
	RepoURL string `json:"repoURL"`
	// Path is the directory inside a Git repository.
	// +optional
	Path string `json:"path,omitempty"`
	// TargetRevision is a branch, tag, commit or, for charts, a semver constraint.
	// +optional
	TargetRevision string `json:"targetRevision,omitempty"`
	// +optional
	Helm *ApplicationSourceHelm `json:"helm,omitempty"`
	// +optional
	Kustomize *ApplicationSourceKustomize `json:"kustomize,omitempty"`
	// +optional
	Directory *ApplicationSourceDirectory `json:"directory,omitempty"`
	// +optional
	Plugin *ApplicationSourcePlugin `json:"plugin,omitempty"`
	// Chart is the chart name when RepoURL is a Helm repository.
	// +optional
	Chart string `json:"chart,omitempty"`
	// Ref names this source so that other sources can read its files as $ref.
	// +optional
	Ref string `json:"ref,omitempty"`
	// Name labels the source in the UI and CLI.
	// +optional
	Name string `json:"name,omitempty"`
}

// ApplicationSourceHelm configures `helm template` for a source.
type ApplicationSourceHelm struct {
	// +optional
	ValueFiles []string `json:"valueFiles,omitempty"`
	// +optional
	Parameters []HelmParameter `json:"parameters,omitempty"`
	// +optional
	ReleaseName string `json:"releaseName,omitempty"`
	// Values is a values file inlined as a YAML string.
	// +optional
	Values string `json:"values,omitempty" patchStrategy:"replace"`
	// +optional
	FileParameters []HelmFileParameter `json:"fileParameters,omitempty"`
	// Version is the Helm major version, kept for compatibility; only v3 exists.
	// +optional
	Version string `json:"version,omitempty"`
	// +optional
	PassCredentials bool `json:"passCredentials,omitempty"`
	// +optional
	IgnoreMissingValueFiles bool `json:"ignoreMissingValueFiles,omitempty"`
	// +optional
	SkipCrds bool `json:"skipCrds,omitempty"`
	// ValuesObject is a values file inlined as a structured object; it takes
	// precedence over Values.
	// +optional
	// +kubebuilder:pruning:PreserveUnknownFields
	ValuesObject *runtime.RawExtension `json:"valuesObject,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +optional
	KubeVersion string `json:"kubeVersion,omitempty"`
	// +optional
	APIVersions []string `json:"apiVersions,omitempty"`
	// +optional
	SkipTests bool `json:"skipTests,omitempty"`
	// +optional
	SkipSchemaValidation bool `json:"skipSchemaValidation,omitempty"`
}

// HelmParameter is a `--set` (or `--set-string` when ForceString) value.
type HelmParameter struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Value string `json:"value,omitempty"`
	// +optional
	ForceString bool `json:"forceString,omitempty"`
}

// HelmFileParameter is a `--set-file` value.
type HelmFileParameter struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Path string `json:"path,omitempty"`
}

// ApplicationSourceKustomize configures `kustomize build` for a source.
type ApplicationSourceKustomize struct {
	// +optional
	NamePrefix string `json:"namePrefix,omitempty"`
	// +optional
	NameSuffix string `json:"nameSuffix,omitempty"`
	// +optional
	Images KustomizeImages `json:"images,omitempty"`
	// +optional
	CommonLabels map[string]string `json:"commonLabels,omitempty"`
	// Version selects a kustomize binary configured by the operator.
	// +optional
	Version string `json:"version,omitempty"`
	// +optional
	CommonAnnotations map[string]string `json:"commonAnnotations,omitempty"`
	// +optional
	ForceCommonLabels bool `json:"forceCommonLabels,omitempty"`
	// +optional
	ForceCommonAnnotations bool `json:"forceCommonAnnotations,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// CommonAnnotationsEnvsubst expands ${VAR} in CommonAnnotations values.
	// +optional
	CommonAnnotationsEnvsubst bool `json:"commonAnnotationsEnvsubst,omitempty"`
	// +optional
	Replicas KustomizeReplicas `json:"replicas,omitempty"`
	// +optional
	Patches KustomizePatches `json:"patches,omitempty"`
	// +optional
	Components []string `json:"components,omitempty"`
	// +optional
	IgnoreMissingComponents bool `json:"ignoreMissingComponents,omitempty"`
	// LabelWithoutSelector applies CommonLabels without adding them to selectors.
	// +optional
	LabelWithoutSelector bool `json:"labelWithoutSelector,omitempty"`
	// +optional
	KubeVersion string `json:"kubeVersion,omitempty"`
	// +optional
	APIVersions []string `json:"apiVersions,omitempty"`
	// LabelIncludeTemplates also applies CommonLabels to pod templates.
	// +optional
	LabelIncludeTemplates bool `json:"labelIncludeTemplates,omitempty"`
}

// KustomizeImage overrides an image: [old_image_name=]<image_name>:<image_tag>
// or [old_image_name=]<image_name>@<digest>.
type KustomizeImage string

// KustomizeImages is a list of KustomizeImage.
type KustomizeImages []KustomizeImage

// KustomizeReplica overrides the replica count of a Deployment or StatefulSet.
type KustomizeReplica struct {
	Name  string             `json:"name"`
	Count intstr.IntOrString `json:"count"`
}

// KustomizeReplicas is a list of KustomizeReplica.
type KustomizeReplicas []KustomizeReplica

// KustomizePatches is a list of KustomizePatch.
type KustomizePatches []KustomizePatch

// KustomizePatch is an inline or file patch applied to the matching resources.
type KustomizePatch struct {
	// +optional
	Path string `json:"path,omitempty"`
	// +optional
	Patch string `json:"patch,omitempty"`
	// +optional
	Target *KustomizeSelector `json:"target,omitempty"`
	// +optional
	Options map[string]bool `json:"options,omitempty"`
}

// KustomizeSelector selects the resources a KustomizePatch applies to.
type KustomizeSelector struct {
	KustomizeResID `json:",inline"`
	// +optional
	AnnotationSelector string `json:"annotationSelector,omitempty"`
	// +optional
	LabelSelector string `json:"labelSelector,omitempty"`
}

// KustomizeResID identifies resources by group, version, kind, name and namespace.
type KustomizeResID struct {
	KustomizeGVK `json:",inline"`
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// KustomizeGVK is a group, version and kind; empty parts match anything.
type KustomizeGVK struct {
	// +optional
	Group string `json:"group,omitempty"`
	// +optional
	Version string `json:"version,omitempty"`
	// +optional
	Kind string `json:"kind,omitempty"`
}

// ApplicationSourceDirectory configures a plain directory of YAML, JSON or
// Jsonnet files.
type ApplicationSourceDirectory struct {
	// +optional
	Recurse bool `json:"recurse,omitempty"`
	// Jsonnet is a pointer, not a value as in Argo CD's Go types, so that an
	// absent jsonnet block stays absent when the object is written back.
	// +optional
	Jsonnet *ApplicationSourceJsonnet `json:"jsonnet,omitempty"`
	// Exclude is a glob of files to skip.
	// +optional
	Exclude string `json:"exclude,omitempty"`
	// Include is a glob of files to read.
	// +optional
	Include string `json:"include,omitempty"`
}

// ApplicationSourceJsonnet configures the Jsonnet evaluation of a directory.
type ApplicationSourceJsonnet struct {
	// +optional
	ExtVars []JsonnetVar `json:"extVars,omitempty"`
	// TLAs are top-level arguments.
	// +optional
	TLAs []JsonnetVar `json:"tlas,omitempty"`
	// Libs are additional library search paths.
	// +optional
	Libs []string `json:"libs,omitempty"`
}

// JsonnetVar is an external variable or top-level argument; Code means Value is
// Jsonnet code rather than a string.
type JsonnetVar struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// +optional
	Code bool `json:"code,omitempty"`
}
