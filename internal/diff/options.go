package diff

import (
	"fmt"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// StatusField says which objects' status a comparison leaves out:
// resource.compareoptions' ignoreResourceStatusField.
type StatusField string

// The values of ignoreResourceStatusField. StatusOfAll is the default, as
// in Argo CD 3.x; "off" is accepted for "none", as Argo CD does.
const (
	StatusOfAll  StatusField = "all"
	StatusOfCRDs StatusField = "crd"
	StatusOfNone StatusField = "none"
)

// ParseStatusField reads a setting value; empty means StatusOfAll.
func ParseStatusField(s string) (StatusField, error) {
	switch f := StatusField(s); f {
	case "":
		return StatusOfAll, nil
	case "off":
		return StatusOfNone, nil
	case StatusOfAll, StatusOfCRDs, StatusOfNone:
		return f, nil
	}
	return "", fmt.Errorf("ignoreResourceStatusField %q: want all, crd or none", s)
}

// Options are the installation-wide comparison options
// (resource.compareoptions). The zero value is the default.
type Options struct {
	// IgnoreAggregatedRoles leaves out the rules of a ClusterRole that
	// has an aggregationRule: the cluster fills them in.
	IgnoreAggregatedRoles bool
	// IgnoreStatus says whose status is left out; empty means all.
	IgnoreStatus StatusField
	// KnownTypes are the fields compared as the Kubernetes type they hold
	// (resource.customizations.knownTypeFields).
	KnownTypes []KnownTypeField
}

// WithOptions returns an Ignorer with ign's rules that compares under o.
func (ign *Ignorer) WithOptions(o Options) *Ignorer {
	out := &Ignorer{opts: o}
	if ign != nil {
		out.rules = ign.rules
	}
	return out
}

// dropsStatus reports whether the status of an object of group and kind is
// left out of a comparison.
func (o Options) dropsStatus(group, kind string) bool {
	switch o.IgnoreStatus {
	case StatusOfNone:
		return false
	case StatusOfCRDs:
		return group == "apiextensions.k8s.io" && kind == "CustomResourceDefinition"
	}
	return true
}

// ValueForValue reports whether a comparison of objects of gk compares
// each field's value as written. It does not when a field of the kind is
// read as a known type (where "1000m" and "1" CPU are one value), nor for
// a ClusterRole when the rules a live one aggregates are left out (another
// writer may give it an aggregationRule, and the cluster then rewrites its
// rules). Where it does not, a value that changed may be no difference.
func (o Options) ValueForValue(gk schema.GroupKind) bool {
	if o.IgnoreAggregatedRoles && gk.Group == "rbac.authorization.k8s.io" && gk.Kind == "ClusterRole" {
		return false
	}
	return !o.hasKnownTypes(gk)
}

// normalizeAggregatedRole drops the rules of an aggregated ClusterRole when
// the options say so.
func (o Options) normalizeAggregatedRole(m map[string]any, group, kind string) {
	if !o.IgnoreAggregatedRoles || group != "rbac.authorization.k8s.io" || kind != "ClusterRole" {
		return
	}
	if rule, ok := m["aggregationRule"]; ok && rule != nil {
		delete(m, "rules")
	}
}
