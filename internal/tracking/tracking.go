// Package tracking marks the objects an Application manages and recognises
// them again: the tracking-id annotation shared with Argo CD (so objects it
// manages are adopted, not re-created), the optional instance label of its
// label-based method, and capstan's own managed label that lets informers
// select exactly what capstan manages.
package tracking

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Method is argocd-cm's application.resourceTrackingMethod.
type Method string

// Tracking methods. The annotation is the default, as in Argo CD 3.x.
const (
	MethodAnnotation         Method = "annotation"
	MethodLabel              Method = "label"
	MethodAnnotationAndLabel Method = "annotation+label"
)

// DefaultLabelKey is application.instanceLabelKey's default.
const DefaultLabelKey = v1alpha1.LabelAppInstance

// Policy is how an installation tracks objects: its method, and the key of
// the instance label (application.instanceLabelKey) that the label
// methods write; an empty key is the default.
type Policy struct {
	Method   Method
	LabelKey string
}

// Label is the instance label's key.
func (p Policy) Label() string {
	if p.LabelKey == "" {
		return DefaultLabelKey
	}
	return p.LabelKey
}

// ParseMethod reads a setting value; empty means the default.
func ParseMethod(s string) (Method, error) {
	switch m := Method(strings.TrimSpace(s)); m {
	case "":
		return MethodAnnotation, nil
	case MethodAnnotation, MethodLabel, MethodAnnotationAndLabel:
		return m, nil
	}
	return "", fmt.Errorf("unknown resource tracking method %q: want annotation, label or annotation+label", s)
}

// ID is a parsed tracking-id: the Application and the object it names.
type ID struct {
	App       string
	Group     string
	Kind      string
	Namespace string
	Name      string
}

// String formats the id as `<app>:<group>/<kind>:<namespace>/<name>`.
func (id ID) String() string {
	return fmt.Sprintf("%s:%s/%s:%s/%s", id.App, id.Group, id.Kind, id.Namespace, id.Name)
}

// IDOf is the tracking-id that app gives obj.
func IDOf(app string, obj *unstructured.Unstructured) ID {
	gk := obj.GroupVersionKind().GroupKind()
	return ID{App: app, Group: gk.Group, Kind: gk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName()}
}

// Parse reads a tracking-id annotation value.
func Parse(s string) (ID, error) {
	app, rest, ok := strings.Cut(s, ":")
	if !ok || app == "" {
		return ID{}, fmt.Errorf("tracking-id %q: want <app>:<group>/<kind>:<namespace>/<name>", s)
	}
	gk, nn, ok := strings.Cut(rest, ":")
	if !ok {
		return ID{}, fmt.Errorf("tracking-id %q: want <app>:<group>/<kind>:<namespace>/<name>", s)
	}
	group, kind, ok1 := strings.Cut(gk, "/")
	ns, name, ok2 := strings.Cut(nn, "/")
	if !ok1 || !ok2 || kind == "" || name == "" {
		return ID{}, fmt.Errorf("tracking-id %q: want <app>:<group>/<kind>:<namespace>/<name>", s)
	}
	return ID{App: app, Group: group, Kind: kind, Namespace: ns, Name: name}, nil
}

// Mark sets what identifies obj as managed by app under p: the
// tracking-id and/or instance label, and always capstan's managed label.
func Mark(obj *unstructured.Unstructured, app string, p Policy) {
	if p.Method != MethodLabel {
		ann := obj.GetAnnotations()
		if ann == nil {
			ann = map[string]string{}
		}
		ann[v1alpha1.AnnotationTrackingID] = IDOf(app, obj).String()
		obj.SetAnnotations(ann)
	}
	labels := obj.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	if p.Method != MethodAnnotation {
		labels[p.Label()] = app
	}
	labels[v1alpha1.LabelCapstanManaged] = "true"
	obj.SetLabels(labels)
}

// Owner is the Application that manages obj under p, if any. Under the
// annotation methods an object whose tracking-id names another object (a
// copy made by a controller, say) belongs to no Application.
func Owner(obj *unstructured.Unstructured, p Policy) (string, bool) {
	if p.Method == MethodLabel {
		app, ok := obj.GetLabels()[p.Label()]
		return app, ok && app != ""
	}
	v, ok := obj.GetAnnotations()[v1alpha1.AnnotationTrackingID]
	if !ok {
		return "", false
	}
	id, err := Parse(v)
	if err != nil {
		return "", false
	}
	if !sameObject(id, obj) {
		return "", false
	}
	return id.App, true
}

// sameObject compares the object named by id with obj. Namespaces compare
// only when both are set: Argo CD leaves the namespace out of ids of
// objects whose namespace the manifest did not set.
func sameObject(id ID, obj *unstructured.Unstructured) bool {
	gk := obj.GroupVersionKind().GroupKind()
	if (schema.GroupKind{Group: id.Group, Kind: id.Kind}) != gk || id.Name != obj.GetName() {
		return false
	}
	return id.Namespace == "" || obj.GetNamespace() == "" || id.Namespace == obj.GetNamespace()
}

// Describe names an object the way messages show it: "Kind namespace/name",
// or "Kind name" for cluster-scoped objects.
func Describe(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", obj.GetKind(), ns, obj.GetName())
	}
	return fmt.Sprintf("%s %s", obj.GetKind(), obj.GetName())
}
