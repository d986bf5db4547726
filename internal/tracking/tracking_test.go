package tracking

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func deployment(ns, name string, annotations, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetAnnotations(annotations)
	u.SetLabels(labels)
	return u
}

func TestMarkThenOwner(t *testing.T) {
	for _, m := range []Method{MethodAnnotation, MethodLabel, MethodAnnotationAndLabel} {
		obj := deployment("guestbook", "web", nil, nil)
		Mark(obj, "guestbook", Policy{Method: m})
		if app, ok := Owner(obj, Policy{Method: m}); !ok || app != "guestbook" {
			t.Errorf("%s: Owner = %q, %v; want guestbook", m, app, ok)
		}
		if obj.GetLabels()["capstan.dev/managed"] != "true" {
			t.Errorf("%s: managed label missing: %v", m, obj.GetLabels())
		}
	}
	obj := deployment("guestbook", "web", nil, nil)
	Mark(obj, "guestbook", Policy{Method: MethodAnnotation})
	want := "guestbook:apps/Deployment:guestbook/web"
	if got := obj.GetAnnotations()["argocd.argoproj.io/tracking-id"]; got != want {
		t.Errorf("tracking-id = %q, want %q", got, want)
	}
}

func TestOwner(t *testing.T) {
	tests := []struct {
		name    string
		obj     *unstructured.Unstructured
		wantApp string
		wantOK  bool
	}{
		{"tracked by Argo CD", deployment("guestbook", "web", map[string]string{"argocd.argoproj.io/tracking-id": "guestbook:apps/Deployment:guestbook/web"}, nil), "guestbook", true},
		{"untracked", deployment("guestbook", "web", nil, nil), "", false},
		{"copy of another object", deployment("guestbook", "web-copy", map[string]string{"argocd.argoproj.io/tracking-id": "guestbook:apps/Deployment:guestbook/web"}, nil), "", false},
		{"id of another kind", deployment("guestbook", "web", map[string]string{"argocd.argoproj.io/tracking-id": "guestbook:/ConfigMap:guestbook/web"}, nil), "", false},
		{"id without namespace", deployment("guestbook", "web", map[string]string{"argocd.argoproj.io/tracking-id": "guestbook:apps/Deployment:/web"}, nil), "guestbook", true},
		{"malformed id", deployment("guestbook", "web", map[string]string{"argocd.argoproj.io/tracking-id": "guestbook"}, nil), "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, ok := Owner(tt.obj, Policy{Method: MethodAnnotation})
			if app != tt.wantApp || ok != tt.wantOK {
				t.Errorf("Owner = %q, %v; want %q, %v", app, ok, tt.wantApp, tt.wantOK)
			}
		})
	}
}

// The label methods write and read the instance label under the key of
// the policy; the annotation method writes none.
func TestInstanceLabelKey(t *testing.T) {
	const key = "argocd.argoproj.io/instance"
	tests := []struct {
		name       string
		policy     Policy
		wantLabels map[string]string
	}{
		{"label, default key", Policy{Method: MethodLabel}, map[string]string{"app.kubernetes.io/instance": "guestbook", "capstan.dev/managed": "true"}},
		{"label, own key", Policy{Method: MethodLabel, LabelKey: key}, map[string]string{key: "guestbook", "capstan.dev/managed": "true"}},
		{"annotation+label, own key", Policy{Method: MethodAnnotationAndLabel, LabelKey: key}, map[string]string{key: "guestbook", "capstan.dev/managed": "true"}},
		{"annotation, own key", Policy{Method: MethodAnnotation, LabelKey: key}, map[string]string{"capstan.dev/managed": "true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			obj := deployment("guestbook", "web", nil, nil)
			Mark(obj, "guestbook", tt.policy)
			if diff := cmp.Diff(tt.wantLabels, obj.GetLabels()); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
		})
	}
	byDefault := deployment("guestbook", "web", nil, map[string]string{"app.kubernetes.io/instance": "guestbook"})
	if app, ok := Owner(byDefault, Policy{Method: MethodLabel, LabelKey: key}); ok {
		t.Errorf("Owner under key %s of an object labelled with the default key = %q; want none", key, app)
	}
}

func TestParse(t *testing.T) {
	got, err := Parse("app:/Namespace:/guestbook")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(ID{App: "app", Kind: "Namespace", Name: "guestbook"}, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "app", "app:apps/Deployment", ":apps/Deployment:ns/x", "app:apps:ns/x", "app:apps/Deployment:ns/"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestParseMethod(t *testing.T) {
	for in, want := range map[string]Method{"": MethodAnnotation, "label": MethodLabel, "annotation+label": MethodAnnotationAndLabel} {
		if got, err := ParseMethod(in); err != nil || got != want {
			t.Errorf("ParseMethod(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParseMethod("uid"); err == nil {
		t.Error("ParseMethod accepted an unknown method")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("guestbook:apps/Deployment:guestbook/web")
	f.Add("a:/Namespace:/b")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(id.String())
		if err != nil || again != id {
			t.Errorf("Parse(%q) = %+v, but its String %q parses to %+v, %v", s, id, id.String(), again, err)
		}
	})
}
