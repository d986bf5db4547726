package server

import (
	"context"
	"fmt"
	"net/http"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// applicationTree is Argo CD's ApplicationTree.
type applicationTree struct {
	Nodes         []resourceNode `json:"nodes"`
	OrphanedNodes []resourceNode `json:"orphanedNodes"`
	Hosts         []any          `json:"hosts"`
}

// resourceNode is one object of the tree, in Argo CD's ResourceNode shape.
type resourceNode struct {
	Group           string                 `json:"group"`
	Version         string                 `json:"version"`
	Kind            string                 `json:"kind"`
	Namespace       string                 `json:"namespace"`
	Name            string                 `json:"name"`
	UID             string                 `json:"uid"`
	ParentRefs      []nodeRef              `json:"parentRefs,omitempty"`
	Info            []infoItem             `json:"info,omitempty"`
	Images          []string               `json:"images,omitempty"`
	Health          *v1alpha1.HealthStatus `json:"health,omitempty"`
	ResourceVersion string                 `json:"resourceVersion"`
	CreatedAt       string                 `json:"createdAt,omitempty"`
}

// nodeRef names a parent of a node.
type nodeRef struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	UID       string `json:"uid"`
}

// infoItem is one line of a node's summary.
type infoItem struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// childKinds are the kinds that workloads make and that the tree shows
// under them; they are listed in the namespaces of the app's objects.
var childKinds = []schema.GroupVersionKind{
	{Group: "apps", Version: "v1", Kind: "ReplicaSet"},
	{Group: "batch", Version: "v1", Kind: "Job"},
	{Group: "", Version: "v1", Kind: "Pod"},
}

func (a *API) resourceTree(w http.ResponseWriter, r *http.Request) {
	app, dst, ok := a.appWithDestination(w, r, "get")
	if !ok {
		return
	}
	objs, err := a.treeObjects(r.Context(), dst, app)
	if err != nil {
		writeKubeError(w, err, "application %s: resource tree", app.Name)
		return
	}
	writeJSON(w, http.StatusOK, applicationTree{Nodes: a.nodes(r.Context(), objs), OrphanedNodes: []resourceNode{}, Hosts: []any{}})
}

// treeObjects are the live objects app tracks and those they made, down
// the owner references.
func (a *API) treeObjects(ctx context.Context, dst *destination, app *v1alpha1.Application) ([]*unstructured.Unstructured, error) {
	roots, err := a.liveOf(ctx, dst, app, statusRefs(app))
	if err != nil {
		return nil, err
	}
	namespaces := map[string]bool{}
	for _, o := range roots {
		if o.GetNamespace() != "" {
			namespaces[o.GetNamespace()] = true
		}
	}
	var candidates []*unstructured.Unstructured
	for ns := range namespaces {
		for _, gvk := range childKinds {
			m, err := dst.applier.Mapping(gvk)
			if err != nil {
				continue
			}
			list, err := dst.dynamic.Resource(m.Resource).Namespace(ns).List(ctx, listOptions())
			if err != nil {
				return nil, fmt.Errorf("list %s in %s: %w", m.Resource.Resource, ns, err)
			}
			for i := range list.Items {
				item := &list.Items[i]
				item.SetGroupVersionKind(gvk)
				candidates = append(candidates, item)
			}
		}
	}
	return descendants(roots, candidates), nil
}

// descendants returns roots followed by every candidate that one of them
// owns, directly or through other candidates: generation by generation
// (ReplicaSets, then their Pods), each sorted by kind, namespace and name.
func descendants(roots, candidates []*unstructured.Unstructured) []*unstructured.Unstructured {
	in := map[string]bool{}
	for _, o := range roots {
		in[string(o.GetUID())] = true
	}
	out := append([]*unstructured.Unstructured(nil), roots...)
	for {
		var gen []*unstructured.Unstructured
		for _, c := range candidates {
			if !in[string(c.GetUID())] && ownedByAny(c, in) {
				gen = append(gen, c)
			}
		}
		if len(gen) == 0 {
			return out
		}
		sort.Slice(gen, func(i, j int) bool { return tracking.Describe(gen[i]) < tracking.Describe(gen[j]) })
		for _, c := range gen {
			in[string(c.GetUID())] = true
		}
		out = append(out, gen...)
	}
}

// ownedByAny reports whether one of obj's owners is in uids.
func ownedByAny(obj *unstructured.Unstructured, uids map[string]bool) bool {
	for _, ref := range obj.GetOwnerReferences() {
		if uids[string(ref.UID)] {
			return true
		}
	}
	return false
}

// nodes describes objs as tree nodes, with their health.
func (a *API) nodes(ctx context.Context, objs []*unstructured.Unstructured) []resourceNode {
	checks := a.settingsNow().Health
	inTree := map[string]bool{}
	for _, o := range objs {
		inTree[string(o.GetUID())] = true
	}
	out := make([]resourceNode, 0, len(objs))
	for _, o := range objs {
		var st *health.Status
		if checks != nil {
			st, _ = checks.Of(ctx, o)
		} else {
			st, _ = health.Of(o)
		}
		out = append(out, nodeOf(o, st, inTree))
	}
	return out
}

// nodeOf is the node of obj: its identity, its parents among the tree's
// objects, a summary and its health.
func nodeOf(obj *unstructured.Unstructured, st *health.Status, inTree map[string]bool) resourceNode {
	gvk := obj.GroupVersionKind()
	n := resourceNode{
		Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind,
		Namespace: obj.GetNamespace(), Name: obj.GetName(), UID: string(obj.GetUID()),
		ResourceVersion: obj.GetResourceVersion(),
	}
	if t := obj.GetCreationTimestamp(); !t.IsZero() {
		n.CreatedAt = t.UTC().Format("2006-01-02T15:04:05Z")
	}
	for _, ref := range obj.GetOwnerReferences() {
		if !inTree[string(ref.UID)] {
			continue
		}
		gv, _ := schema.ParseGroupVersion(ref.APIVersion)
		n.ParentRefs = append(n.ParentRefs, nodeRef{Group: gv.Group, Kind: ref.Kind, Namespace: obj.GetNamespace(), Name: ref.Name, UID: string(ref.UID)})
	}
	if st != nil {
		n.Health = &v1alpha1.HealthStatus{Status: st.Code, Message: st.Message}
	}
	n.Info, n.Images = summary(obj)
	return n
}
