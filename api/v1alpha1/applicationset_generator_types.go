package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// ApplicationSetGenerator is one top-level generator; exactly one of its
// generator fields is expected.
type ApplicationSetGenerator struct {
	// +optional
	List *ListGenerator `json:"list,omitempty"`
	// +optional
	Clusters *ClusterGenerator `json:"clusters,omitempty"`
	// +optional
	Git *GitGenerator `json:"git,omitempty"`
	// +optional
	SCMProvider *SCMProviderGenerator `json:"scmProvider,omitempty"`
	// +optional
	ClusterDecisionResource *DuckTypeGenerator `json:"clusterDecisionResource,omitempty"`
	// +optional
	PullRequest *PullRequestGenerator `json:"pullRequest,omitempty"`
	// +optional
	Matrix *MatrixGenerator `json:"matrix,omitempty"`
	// +optional
	Merge *MergeGenerator `json:"merge,omitempty"`
	// Selector filters the parameter sets the generator produced.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// +optional
	Plugin *PluginGenerator `json:"plugin,omitempty"`
}

// ApplicationSetNestedGenerator is a generator inside a matrix or merge.
//
// CRD schemas cannot be recursive, so, as in Argo CD, a matrix or merge at this
// level is kept as free-form JSON. Its own generators may not be matrix or merge
// again; the controller decodes and checks that.
type ApplicationSetNestedGenerator struct {
	// +optional
	List *ListGenerator `json:"list,omitempty"`
	// +optional
	Clusters *ClusterGenerator `json:"clusters,omitempty"`
	// +optional
	Git *GitGenerator `json:"git,omitempty"`
	// +optional
	SCMProvider *SCMProviderGenerator `json:"scmProvider,omitempty"`
	// +optional
	ClusterDecisionResource *DuckTypeGenerator `json:"clusterDecisionResource,omitempty"`
	// +optional
	PullRequest *PullRequestGenerator `json:"pullRequest,omitempty"`
	// Matrix has the shape of a MatrixGenerator without a template.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Matrix *runtime.RawExtension `json:"matrix,omitempty"`
	// Merge has the shape of a MergeGenerator without a template.
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Merge *runtime.RawExtension `json:"merge,omitempty"`
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
	// +optional
	Plugin *PluginGenerator `json:"plugin,omitempty"`
}

// ApplicationSetNestedGenerators is a list of ApplicationSetNestedGenerator.
type ApplicationSetNestedGenerators []ApplicationSetNestedGenerator

// ApplicationSetTerminalGenerator is a generator two levels down (inside a
// matrix or merge that is itself nested), where matrix and merge are not allowed.
// It is not part of the CRD schema; the controller decodes it from the JSON of a
// nested matrix or merge.
type ApplicationSetTerminalGenerator struct {
	// +optional
	List *ListGenerator `json:"list,omitempty"`
	// +optional
	Clusters *ClusterGenerator `json:"clusters,omitempty"`
	// +optional
	Git *GitGenerator `json:"git,omitempty"`
	// +optional
	SCMProvider *SCMProviderGenerator `json:"scmProvider,omitempty"`
	// +optional
	ClusterDecisionResource *DuckTypeGenerator `json:"clusterDecisionResource,omitempty"`
	// +optional
	PullRequest *PullRequestGenerator `json:"pullRequest,omitempty"`
	// +optional
	Plugin *PluginGenerator `json:"plugin,omitempty"`
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// NestedMatrixGenerator is the shape of ApplicationSetNestedGenerator.Matrix.
type NestedMatrixGenerator struct {
	Generators []ApplicationSetTerminalGenerator `json:"generators"`
}

// NestedMergeGenerator is the shape of ApplicationSetNestedGenerator.Merge.
type NestedMergeGenerator struct {
	Generators []ApplicationSetTerminalGenerator `json:"generators"`
	MergeKeys  []string                          `json:"mergeKeys"`
}

// Every generator's Template overrides fields of spec.template for the
// Applications it generates. It is tagged omitzero because encoding/json
// ignores omitempty on structs and would otherwise write back an empty template.

// ListGenerator yields its elements as parameter sets.
type ListGenerator struct {
	// Elements are the parameter sets, arbitrary JSON objects.
	Elements []runtime.RawExtension `json:"elements"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
	// ElementsYaml is a YAML list of elements, typically rendered from the
	// parameters of an enclosing matrix.
	// +optional
	ElementsYaml string `json:"elementsYaml,omitempty"`
}

// ClusterGenerator yields one parameter set per registered cluster.
type ClusterGenerator struct {
	// Selector matches the labels of cluster Secrets.
	// +optional
	Selector metav1.LabelSelector `json:"selector,omitempty,omitzero"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
	// Values are extra parameters, templated with each cluster's parameters.
	// +optional
	Values map[string]string `json:"values,omitempty"`
	// FlatList yields a single parameter set holding the list of all clusters.
	// +optional
	FlatList bool `json:"flatList,omitempty"`
}

// DuckTypeGenerator yields the clusters listed in the status of a custom
// resource (for example an OCM PlacementDecision).
type DuckTypeGenerator struct {
	// ConfigMapRef names a ConfigMap with the resource's apiVersion, kind and matchKey.
	ConfigMapRef string `json:"configMapRef"`
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// +optional
	LabelSelector metav1.LabelSelector `json:"labelSelector,omitempty,omitzero"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
	// +optional
	Values map[string]string `json:"values,omitempty"`
}

// GitGenerator yields one parameter set per matching directory, or per
// matching JSON/YAML file, of a Git repository.
type GitGenerator struct {
	RepoURL string `json:"repoURL"`
	// +optional
	Directories []GitDirectoryGeneratorItem `json:"directories,omitempty"`
	// +optional
	Files    []GitFileGeneratorItem `json:"files,omitempty"`
	Revision string                 `json:"revision"`
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
	// PathParamPrefix prefixes the names of the path parameters.
	// +optional
	PathParamPrefix string `json:"pathParamPrefix,omitempty"`
	// +optional
	Values map[string]string `json:"values,omitempty"`
}

// GitDirectoryGeneratorItem is a directory glob, included or excluded.
type GitDirectoryGeneratorItem struct {
	Path string `json:"path"`
	// +optional
	Exclude bool `json:"exclude,omitempty"`
}

// GitFileGeneratorItem is a file glob, included or excluded.
type GitFileGeneratorItem struct {
	Path string `json:"path"`
	// +optional
	Exclude bool `json:"exclude,omitempty"`
}

// MatrixGenerator yields the cartesian product of the parameter sets of its
// two generators.
type MatrixGenerator struct {
	Generators []ApplicationSetNestedGenerator `json:"generators"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
}

// MergeGenerator merges the parameter sets of later generators into those of
// the first one wherever the values of MergeKeys are equal.
type MergeGenerator struct {
	Generators []ApplicationSetNestedGenerator `json:"generators"`
	MergeKeys  []string                        `json:"mergeKeys"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
}

// PluginGenerator yields the parameter sets returned by an HTTP plugin.
type PluginGenerator struct {
	ConfigMapRef PluginConfigMapRef `json:"configMapRef"`
	// +optional
	Input PluginInput `json:"input,omitempty,omitzero"`
	// +optional
	RequeueAfterSeconds *int64 `json:"requeueAfterSeconds,omitempty"`
	// +optional
	Template ApplicationSetTemplate `json:"template,omitempty,omitzero"`
	// Values are added to each parameter set; they are not sent to the plugin.
	// +optional
	Values map[string]string `json:"values,omitempty"`
}

// PluginConfigMapRef names the ConfigMap holding a plugin's URL and token.
type PluginConfigMapRef struct {
	Name string `json:"name"`
}

// PluginInput is the request body sent to a plugin.
type PluginInput struct {
	// Parameters maps names to arbitrary JSON values (strings, lists, objects).
	// +optional
	// +kubebuilder:validation:Schemaless
	// +kubebuilder:validation:Type=object
	// +kubebuilder:pruning:PreserveUnknownFields
	Parameters map[string]runtime.RawExtension `json:"parameters,omitempty"`
}
