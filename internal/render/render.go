// Package render turns a source tree and an Application's spec.source into
// the list of objects to apply: plain YAML/JSON and Jsonnet directories,
// Kustomize and Helm, all in process. A failed render returns no objects at
// all, never a partial list.
package render

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Request is everything one source's render reads.
type Request struct {
	// AppName is the Application's name: Helm's default release name.
	AppName string
	// Project is the Application's project, $ARGOCD_APP_PROJECT_NAME in
	// the build environment.
	Project string
	// Source is the Application's source as written.
	Source v1alpha1.ApplicationSource
	// Root is the root of the checked-out repository (or of the pulled chart
	// for a chart from a Helm repository or OCI registry). Nothing outside it
	// is read.
	Root string
	// Revision is the commit (or chart version) the source was resolved to:
	// $ARGOCD_APP_REVISION in the build environment.
	Revision string
	// PathHash, when set, is the Git object hash of Source.Path at
	// Revision, which changes exactly when something under the path does:
	// the render cache keys the path's content by it instead of reading
	// every file under Root's path at each look-up.
	PathHash string
	// Namespace is the destination namespace: the default for namespaced
	// objects without one, and Helm's release namespace.
	Namespace string
	// KubeVersion and APIVersions describe the destination cluster when
	// known; Helm's .Capabilities and the build environment use them.
	KubeVersion string
	APIVersions []string
	// Refs maps the `ref` names of the other sources of a multi-source
	// Application to their checked-out roots, for `$ref/path` value files.
	Refs map[string]string
	// Dependencies maps the Key of each chart dependency the render takes
	// from a repository (see Dependencies) to the directory of the chart
	// its caller pulled. A render reaches no repository itself: a
	// dependency missing here fails the render, naming it.
	Dependencies map[string]string
	// Scope tells whether a kind is namespaced, typically from the
	// destination cluster's discovery. Kinds it does not know (or all, when
	// nil) are looked up in the CRDs found in the render, then in the
	// built-in table of Kubernetes kinds.
	Scope ScopeFunc
	// Kustomize are the installation's kustomize build options
	// (kustomize.buildOptions).
	Kustomize KustomizeOptions
	// Discovery names the state of what Scope knows (see
	// apply.Applier.Discovery): a cached render is not served across a
	// change of it.
	Discovery string
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
	// Types is the tool of each source of a multi-source render, in the
	// order of the sources, for status.sourceTypes; Type is then the first
	// source's. A single-source render leaves it nil.
	Types []v1alpha1.ApplicationSourceType
	// Inputs lists the absolute paths of every file the render read, and of
	// every directory it listed with a trailing separator (listed), so that
	// a cache can key the result by their content.
	Inputs []string
}

// BuildFunc renders one source without defaulting namespaces: Build, or
// the same work done elsewhere (in a child process under limits).
type BuildFunc func(ctx context.Context, req Request) (*Result, error)

// Render renders one source. The tool is the one the source names, else
// the one its files call for (see detectType). Namespaced objects without
// a namespace get req.Namespace. On error no objects are returned.
func Render(ctx context.Context, req Request) (*Result, error) {
	res, err := Build(ctx, req)
	if err != nil {
		return nil, err
	}
	res.defaultNamespaces(req)
	return res, nil
}

// Build renders one source as Render does, but leaves namespaces as the
// tool wrote them: which kinds are namespaced depends on the destination
// cluster (req.Scope), not on the source, so a build can be cached or
// made elsewhere and defaulted later against the cluster as it is then.
func Build(ctx context.Context, req Request) (*Result, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	t, dir, typ, err := sourceTree(req)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return &Result{}, nil
	}
	defer t.close()
	var overrides []string
	if req.Source, overrides, err = withOverrides(t, dir, req); err != nil {
		return nil, err
	}
	var objs []*unstructured.Unstructured
	var inputs []string
	switch typ {
	case v1alpha1.ApplicationSourceTypeHelm:
		objs, inputs, err = renderHelm(ctx, req, t, dir)
	case v1alpha1.ApplicationSourceTypeKustomize:
		objs, inputs, err = renderKustomize(ctx, req, t, dir)
	default:
		objs, inputs, err = renderDirectory(ctx, req, t, dir)
	}
	if err != nil {
		return nil, err
	}
	return &Result{Objects: objs, Type: typ, Inputs: append(inputs, overrides...)}, nil
}

// sourceTree opens req's tree, and finds in it the source's directory and
// the tool that renders it. A source that only lends its files to the
// others renders nothing: its tree is nil. The caller closes the tree.
func sourceTree(req Request) (*tree, string, v1alpha1.ApplicationSourceType, error) {
	src := req.Source
	if src.Ref != "" && src.Path == "" && src.Chart == "" {
		return nil, "", "", nil
	}
	if err := checkSourcePath(src); err != nil {
		return nil, "", "", err
	}
	t, err := openTree(req.Root)
	if err != nil {
		return nil, "", "", err
	}
	dir := t.path
	if src.Chart == "" {
		if dir, err = appPath(t, src); err != nil {
			t.close()
			return nil, "", "", err
		}
	}
	typ, err := detectType(src, fileExists(t, dir))
	if err != nil {
		t.close()
		return nil, "", "", err
	}
	return t, dir, typ, nil
}

// defaultNamespaces gives the objects the destination namespace or takes
// it off, as the kind's scope in req.Scope, the rendered CRDs or the
// built-in table says.
func (r *Result) defaultNamespaces(req Request) {
	defaultNamespaces(r.Objects, req.Namespace, scopeChain(req.Scope, crdScope(r.Objects), builtinScope))
}

// RenderSources renders the sources of a multi-source Application in order
// and concatenates their objects. If any source fails, the whole render
// fails: applying some sources without the others would remove what the
// failed one owns.
func RenderSources(ctx context.Context, reqs []Request) (*Result, error) {
	out := &Result{Types: make([]v1alpha1.ApplicationSourceType, 0, len(reqs))}
	for i, req := range reqs {
		res, err := Render(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("source %d (%s): %w", i, req.Source.RepoURL, err)
		}
		if i == 0 {
			out.Type = res.Type
		}
		out.Types = append(out.Types, res.Type)
		out.Objects = append(out.Objects, res.Objects...)
		out.Inputs = append(out.Inputs, res.Inputs...)
	}
	return out, nil
}
