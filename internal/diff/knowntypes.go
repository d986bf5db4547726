package diff

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"reflect"
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

// KnownTypeField says that a field of objects of one group and kind holds
// a Kubernetes type (resource.customizations.knownTypeFields): a custom
// resource that embeds a Pod template, for example. A comparison reads the
// field as that type on both sides, so that two spellings of one value
// ("1000m" and "1" CPU) do not differ.
type KnownTypeField struct {
	Group, Kind string
	// Field is a dot-separated path ("spec.template.spec"); where a step
	// holds a list, each item is followed.
	Field string
	// Type names the type as "<package>/<version>/<Name>" after the
	// package of k8s.io/api that holds it ("core/v1/PodSpec",
	// "networking/v1/IngressSpec", the latter also by its group,
	// "networking.k8s.io/v1/IngressSpec"), or apimachinery's meta types as
	// "meta/v1/<Name>" ("meta/v1/Duration").
	Type string
}

// apiPackage is where the Go types of Kubernetes' API groups live.
const (
	apiPackage  = "k8s.io/api/"
	metaPackage = "k8s.io/apimachinery/pkg/apis/meta/"
)

// knownTypes maps a type's name to its Go type: every struct type that
// the kinds client-go knows reach, in the API groups' and meta's packages.
var knownTypes = sync.OnceValue(func() map[string]reflect.Type {
	out := map[string]reflect.Type{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		name := typeName(t)
		if name == "" {
			return
		}
		if _, seen := out[name]; seen {
			return
		}
		out[name] = t
		for i := range t.NumField() {
			walk(t.Field(i).Type)
		}
	}
	// A type of an API group's package is also named by its group
	// ("networking.k8s.io/v1/IngressSpec" as "networking/v1/IngressSpec").
	groups := map[string]string{}
	for gvk, t := range clientgoscheme.Scheme.AllKnownTypes() {
		walk(t)
		if name := typeName(t); strings.HasPrefix(t.PkgPath(), apiPackage) && gvk.Group != "" {
			groups[path.Dir(path.Dir(name))] = gvk.Group
		}
	}
	walk(reflect.TypeFor[metav1.Duration]())
	for name, t := range maps.Clone(out) {
		if group, ok := groups[path.Dir(path.Dir(name))]; ok {
			out[group+strings.TrimPrefix(name, path.Dir(path.Dir(name)))] = t
		}
	}
	return out
})

// typeName names a Go type as knownTypeFields does, "" for a type of
// another package.
func typeName(t reflect.Type) string {
	pkg := t.PkgPath()
	switch {
	case strings.HasPrefix(pkg, apiPackage):
		return strings.TrimPrefix(pkg, apiPackage) + "/" + t.Name()
	case strings.HasPrefix(pkg, metaPackage):
		return "meta/" + strings.TrimPrefix(pkg, metaPackage) + "/" + t.Name()
	}
	return ""
}

// CheckKnownType says whether name is a type knownTypeFields may name.
func CheckKnownType(name string) error {
	if _, ok := knownTypes()[name]; !ok {
		return fmt.Errorf("type %q is not a Kubernetes type capstan knows; name one as core/v1/PodSpec or apps/v1/DeploymentSpec", name)
	}
	return nil
}

// hasKnownTypes reports whether some field of objects of gk is compared
// as a known type: then a value another writer changed may be the same
// value spelled another way.
func (o Options) hasKnownTypes(gk schema.GroupKind) bool {
	return slices.ContainsFunc(o.KnownTypes, func(f KnownTypeField) bool { return f.Group == gk.Group && f.Kind == gk.Kind })
}

// normalizeKnownTypes reads each known-type field of an object of gk, in
// m, as its type.
func (o Options) normalizeKnownTypes(m map[string]any, gk schema.GroupKind) {
	for _, f := range o.KnownTypes {
		if f.Group != gk.Group || f.Kind != gk.Kind {
			continue
		}
		t, ok := knownTypes()[f.Type]
		if !ok {
			continue
		}
		steps := strings.Split(strings.ReplaceAll(f.Field, "[]", ""), ".")
		normalizeAt(m, steps, t)
	}
}

// normalizeAt reads the value at path under parent as t, following each
// item of a list on the way.
func normalizeAt(parent any, path []string, t reflect.Type) {
	if list, ok := parent.([]any); ok {
		for _, item := range list {
			normalizeAt(item, path, t)
		}
		return
	}
	m, ok := parent.(map[string]any)
	if !ok || len(path) == 0 {
		return
	}
	v, ok := m[path[0]]
	if !ok || v == nil {
		return
	}
	if len(path) > 1 {
		normalizeAt(v, path[1:], t)
		return
	}
	if list, ok := v.([]any); ok && t.Kind() != reflect.Slice {
		m[path[0]] = slices.Clone(list)
		for i, item := range list {
			m[path[0]].([]any)[i] = asType(item, t)
		}
		return
	}
	m[path[0]] = asType(v, t)
}

// asType is v read into a t and written back: quantities in canonical
// form, unknown fields dropped, empty optional fields left out. A value
// that does not read as t is left as it is, and so compared as written.
func asType(v any, t reflect.Type) any {
	data, err := json.Marshal(v)
	if err != nil {
		return v
	}
	typed := reflect.New(t)
	if err := json.Unmarshal(data, typed.Interface()); err != nil {
		return v
	}
	if data, err = json.Marshal(typed.Interface()); err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(data, &out); err != nil {
		return v
	}
	return out
}
