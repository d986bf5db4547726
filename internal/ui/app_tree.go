package ui

import (
	"sort"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// treeNode is a node of the resource tree as the API answers it (Argo CD's
// ResourceNode, the fields the page uses).
type treeNode struct {
	Group      string                 `json:"group"`
	Version    string                 `json:"version"`
	Kind       string                 `json:"kind"`
	Namespace  string                 `json:"namespace"`
	Name       string                 `json:"name"`
	UID        string                 `json:"uid"`
	ParentRefs []treeRef              `json:"parentRefs"`
	Info       []treeInfo             `json:"info"`
	Health     *v1alpha1.HealthStatus `json:"health"`
	CreatedAt  string                 `json:"createdAt"`
}

// treeRef names a node's parent.
type treeRef struct {
	UID string `json:"uid"`
}

// treeInfo is one line of a node's summary, such as a Pod's status.
type treeInfo struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// resourceTree is the API's answer to /resource-tree.
type resourceTree struct {
	Nodes []treeNode `json:"nodes"`
}

// appNode is one box of the drawn tree: an object with its health, its
// sync status (only objects the app manages have one) and the objects it
// owns, drawn to its right.
type appNode struct {
	// Key names the object in the page's resource query:
	// group/kind/namespace/name.
	Key                                        string
	Group, Version, Kind, Namespace, Name, UID string
	Health, HealthMessage                      string
	// Sync is the object's sync status; empty for objects the app does
	// not manage itself (ReplicaSets, Pods).
	Sync string
	// Managed is set for the objects the app deploys.
	Managed bool
	// Info is a short summary, such as a Pod's phase.
	Info     string
	Children []*appNode
}

// resourceKey is how the page names an object in its query.
func resourceKey(group, kind, namespace, name string) string {
	return strings.Join([]string{group, kind, namespace, name}, "/")
}

// parseResourceKey splits a resourceKey; ok is false when key is not one.
func parseResourceKey(key string) (group, kind, namespace, name string, ok bool) {
	p := strings.Split(key, "/")
	if len(p) != 4 || p[1] == "" || p[3] == "" {
		return "", "", "", "", false
	}
	return p[0], p[1], p[2], p[3], true
}

// layoutTree arranges an app's objects as Argo CD draws them, from left to
// right: the objects the app manages (from its status, in the order of
// kind and name, those missing from the cluster included), then, to the
// right of each, the objects it owns (ReplicaSets, then their Pods),
// taken from the live tree. An object with several parents in the tree is
// drawn under the first; one whose parents are not in the tree and that
// the app does not manage is drawn among the roots.
func layoutTree(resources []v1alpha1.ResourceStatus, nodes []treeNode) []*appNode {
	byKey := map[string]*appNode{}
	var roots []*appNode
	for _, rs := range resources {
		n := &appNode{
			Key:   resourceKey(rs.Group, rs.Kind, rs.Namespace, rs.Name),
			Group: rs.Group, Version: rs.Version, Kind: rs.Kind, Namespace: rs.Namespace, Name: rs.Name,
			Sync: string(rs.Status), Managed: true,
		}
		if rs.Health != nil {
			n.Health, n.HealthMessage = string(rs.Health.Status), rs.Health.Message
		}
		if _, dup := byKey[n.Key]; dup {
			continue
		}
		byKey[n.Key] = n
		roots = append(roots, n)
	}
	byUID := map[string]*appNode{}
	drawn := make([]*appNode, len(nodes))
	for i, tn := range nodes {
		key := resourceKey(tn.Group, tn.Kind, tn.Namespace, tn.Name)
		n, managed := byKey[key]
		if !managed {
			n = &appNode{Key: key, Group: tn.Group, Kind: tn.Kind, Namespace: tn.Namespace, Name: tn.Name}
			byKey[key] = n
		}
		n.Version, n.UID = tn.Version, tn.UID
		if tn.Health != nil {
			// The live tree's health is newer than the status's.
			n.Health, n.HealthMessage = string(tn.Health.Status), tn.Health.Message
		}
		n.Info = infoLine(tn.Info)
		drawn[i] = n
		if tn.UID != "" {
			byUID[tn.UID] = n
		}
	}
	for i, tn := range nodes {
		n := drawn[i]
		if n.Managed {
			continue
		}
		parent := firstParent(tn.ParentRefs, byUID, n)
		if parent == nil {
			roots = append(roots, n)
			continue
		}
		parent.Children = append(parent.Children, n)
	}
	sortNodes(roots)
	return roots
}

// firstParent is the first of refs that is in the tree and is not n.
func firstParent(refs []treeRef, byUID map[string]*appNode, n *appNode) *appNode {
	for _, ref := range refs {
		if p := byUID[ref.UID]; p != nil && p != n {
			return p
		}
	}
	return nil
}

// sortNodes orders siblings by kind, namespace and name, all the way down.
func sortNodes(ns []*appNode) {
	sort.SliceStable(ns, func(i, j int) bool {
		a, b := ns[i], ns[j]
		if a.Kind != b.Kind {
			return a.Kind < b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	for _, n := range ns {
		sortNodes(n.Children)
	}
}

// infoLine joins the values of a node's summary into one short line,
// such as "Running · 1/1" for a Pod.
func infoLine(info []treeInfo) string {
	parts := make([]string, 0, len(info))
	for _, i := range info {
		if i.Value == "" {
			continue
		}
		parts = append(parts, i.Value)
	}
	return strings.Join(parts, " · ")
}

// flatten lists the nodes of a tree depth first, for the list view.
func flatten(roots []*appNode) []*appNode {
	var out []*appNode
	var walk func([]*appNode)
	walk = func(ns []*appNode) {
		for _, n := range ns {
			out = append(out, n)
			walk(n.Children)
		}
	}
	walk(roots)
	return out
}
