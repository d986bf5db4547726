// Package render turns a source tree and an Application's spec.source into
// the list of objects to apply: plain YAML/JSON and Jsonnet directories,
// Kustomize and Helm, all in process. A failed render returns no objects at
// all, never a partial list.
package render

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Request is everything one source's render reads.
type Request struct {
	// AppName is the Application's name: Helm's default release name.
	AppName string
	// Source is the Application's source as written.
	Source v1alpha1.ApplicationSource
	// Root is the root of the checked-out repository (or of the pulled chart
	// for a chart from a Helm repository or OCI registry). Nothing outside it
	// is read.
	Root string
	// Namespace is the destination namespace: the default for namespaced
	// objects without one, and Helm's release namespace.
	Namespace string
	// KubeVersion and APIVersions describe the destination cluster when
	// known; Helm's .Capabilities and Kustomize's version fields use them.
	KubeVersion string
	APIVersions []string
	// Refs maps the `ref` names of the other sources of a multi-source
	// Application to their checked-out roots, for `$ref/path` value files.
	Refs map[string]string
	// ChartCredentials returns the credentials for a chart repository a
	// Helm dependency is fetched from; nil means anonymous access.
	ChartCredentials func(repoURL string) (username, password string)
	// CacheDir is where fetched chart dependencies are kept between renders;
	// empty means a temporary directory per render.
	CacheDir string
	// Scope tells whether a kind is namespaced. Nil means the built-in
	// table of Kubernetes kinds plus the CRDs found in the render.
	Scope ScopeFunc
}

// ScopeFunc reports whether objects of gvk are namespaced, and whether the
// kind is known at all.
type ScopeFunc func(gvk schema.GroupVersionKind) (namespaced, known bool)

// Result is the outcome of a successful render.
type Result struct {
	// Objects in the order the tool produced them.
	Objects []*unstructured.Unstructured
	// Type is the tool that rendered them, for status.sourceType.
	Type v1alpha1.ApplicationSourceType
	// Inputs lists the absolute paths of every file the render read, so that
	// a cache can key the result by their content.
	Inputs []string
}
