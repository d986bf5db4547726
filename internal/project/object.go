package project

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Scope reports whether objects of gvk are namespaced, and whether the
// scope is known at all.
type Scope func(gvk schema.GroupVersionKind) (namespaced, known bool)

// PermitsObjects checks every object an Application would create against
// its project, before any of them is applied: each must pass
// PermitsObject. dest is the Application's destination, its cluster
// resolved to both server and name. scope is the cluster's knowledge of
// kinds; a kind the cluster does not know yet takes the scope a
// CustomResourceDefinition among objs gives it. The first violation is
// returned, counting the others.
func PermitsObjects(p *v1alpha1.AppProject, dest v1alpha1.ApplicationDestination, objs []*unstructured.Unstructured, scope Scope) error {
	defined := definedScopes(objs)
	var first *Violation
	for _, obj := range objs {
		gvk := obj.GroupVersionKind()
		namespaced, known := scope(gvk)
		if !known {
			namespaced, known = defined[gvk.GroupKind()]
		}
		err := PermitsObject(p, dest, obj, namespaced, known)
		if err == nil {
			continue
		}
		v, ok := err.(*Violation)
		if !ok {
			return err
		}
		if first != nil {
			first.More++
			continue
		}
		first = v
	}
	if first == nil {
		return nil
	}
	return first
}

// PermitsObject checks one object an Application would create. Its kind
// must pass PermitsKind for its scope; a namespaced object's own namespace
// (the destination's when it sets none) must pass PermitsDestination on the
// destination's cluster, so that no object lands outside the project's
// namespaces whatever its manifest says. An object of a kind whose scope is
// not known must pass both as namespaced and as cluster-scoped.
func PermitsObject(p *v1alpha1.AppProject, dest v1alpha1.ApplicationDestination, obj *unstructured.Unstructured, namespaced, known bool) error {
	gk := obj.GroupVersionKind().GroupKind()
	ns := obj.GetNamespace()
	if ns == "" {
		ns = dest.Namespace
	}
	name := describeObject(obj, ns, namespaced || !known)
	scopes := []bool{namespaced}
	if !known {
		scopes = []bool{true, false}
	}
	for _, namespaced := range scopes {
		rule, err := kindRule(p, gk, obj.GetName(), namespaced)
		if err != nil {
			return &Violation{Project: p.Name, Object: name, Rule: err.Error()}
		}
		if rule != "" {
			if !known {
				rule += " (the cluster does not know the kind's scope yet)"
			}
			return &Violation{Project: p.Name, Object: name, Rule: rule}
		}
		if !namespaced {
			continue
		}
		rule, err = destinationRule(p, v1alpha1.ApplicationDestination{Server: dest.Server, Name: dest.Name, Namespace: ns})
		if err != nil {
			return &Violation{Project: p.Name, Object: name, Rule: "destinations: " + err.Error()}
		}
		if rule != "" {
			return &Violation{Project: p.Name, Object: name, Rule: rule}
		}
	}
	return nil
}

// describeObject names an object as "Kind namespace/name", or "Kind name"
// when it is cluster-scoped.
func describeObject(obj *unstructured.Unstructured, ns string, namespaced bool) string {
	if namespaced && ns != "" {
		return fmt.Sprintf("%s %s/%s", obj.GetKind(), ns, obj.GetName())
	}
	return fmt.Sprintf("%s %s", obj.GetKind(), obj.GetName())
}

// definedScopes are the scopes the CustomResourceDefinitions among objs
// give their kinds, so that custom resources arriving with their
// definition are checked in the scope they will have.
func definedScopes(objs []*unstructured.Unstructured) map[schema.GroupKind]bool {
	out := map[schema.GroupKind]bool{}
	for _, o := range objs {
		if o.GroupVersionKind().GroupKind() != (schema.GroupKind{Group: "apiextensions.k8s.io", Kind: "CustomResourceDefinition"}) {
			continue
		}
		spec, _, _ := unstructured.NestedMap(o.Object, "spec")
		group, _ := spec["group"].(string)
		names, _ := spec["names"].(map[string]any)
		kind, _ := names["kind"].(string)
		switch spec["scope"] {
		case "Namespaced":
			out[schema.GroupKind{Group: group, Kind: kind}] = true
		case "Cluster":
			out[schema.GroupKind{Group: group, Kind: kind}] = false
		}
	}
	return out
}
