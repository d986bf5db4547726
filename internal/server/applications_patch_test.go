package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestCascadeFinalizers(t *testing.T) {
	const (
		fg   = v1alpha1.ForegroundResourcesFinalizer
		bg   = v1alpha1.BackgroundResourcesFinalizer
		res  = v1alpha1.ResourcesFinalizer
		hook = v1alpha1.PreDeleteFinalizer
	)
	tests := []struct {
		name       string
		cascade    bool
		policy     string
		finalizers []string
		want       []string
		wantErr    bool
	}{
		{"cascade by default", true, "", nil, []string{res}, false},
		{"foreground", true, "foreground", []string{hook}, []string{hook, fg}, false},
		{"background replaces another", true, "Background", []string{res, hook}, []string{hook, bg}, false},
		{"already set", true, "", []string{res, bg}, []string{res, bg}, false},
		{"no cascade removes them all", false, "", []string{res, hook, bg}, []string{hook}, false},
		{"no cascade with a policy", false, "background", nil, nil, true},
		{"unknown policy", true, "orphan", nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := cascadeFinalizer(tt.cascade, tt.policy)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, withCascade(tt.finalizers, f)); diff != "" {
				t.Errorf("finalizers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyPatch(t *testing.T) {
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"x": "1"}},
		Spec: v1alpha1.ApplicationSpec{Project: "default", Source: &v1alpha1.ApplicationSource{RepoURL: "r", TargetRevision: "main"}}}
	tests := []struct {
		name, patch, patchType string
		want                   func(*v1alpha1.Application)
		wantErr                bool
	}{
		{"json patch by default", `[{"op":"replace","path":"/spec/source/targetRevision","value":"v2"}]`, "",
			func(a *v1alpha1.Application) { a.Spec.Source.TargetRevision = "v2" }, false},
		{"merge patch", `{"metadata":{"labels":{"x":null,"y":"2"}}}`, "merge",
			func(a *v1alpha1.Application) { a.Labels = map[string]string{"y": "2"} }, false},
		{"bad json patch", `{"op":"replace"}`, "json", nil, true},
		{"failing json patch", `[{"op":"test","path":"/spec/project","value":"other"}]`, "json", nil, true},
		{"unknown type", `{}`, "strategic", nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := applyPatch(app, tt.patch, tt.patchType)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			want := app.DeepCopy()
			tt.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("patched (-want +got):\n%s", diff)
			}
		})
	}
}
