package sync

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		input   []string
		want    Options
		wantErr bool
	}{
		{name: "defaults", want: DefaultOptions()},
		{
			name:  "the article's options",
			input: []string{"Validate=true", "CreateNamespace=true", "PrunePropagationPolicy=foreground", "PruneLast=true"},
			want:  Options{Validate: true, CreateNamespace: true, PrunePropagationPolicy: metav1.DeletePropagationForeground, PruneLast: true},
		},
		{
			name:  "everything else",
			input: []string{"Validate=false", "PrunePropagationPolicy=orphan", "ApplyOutOfSyncOnly=true", "ServerSideApply=true", "Replace=true", "Force=true", "RespectIgnoreDifferences=true", "FailOnSharedResource=true", "SkipDryRunOnMissingResource=true", "Prune=confirm", "Delete=false"},
			want: Options{PrunePropagationPolicy: metav1.DeletePropagationOrphan, ApplyOutOfSyncOnly: true, ServerSideApply: true, Replace: true, Force: true,
				RespectIgnoreDifferences: true, FailOnSharedResource: true, SkipDryRunOnMissingResource: true, Prune: ModeConfirm, Delete: ModeNever},
		},
		{name: "background propagation", input: []string{"PrunePropagationPolicy=background"}, want: Options{Validate: true, PrunePropagationPolicy: metav1.DeletePropagationBackground}},
		{name: "unknown option", input: []string{"Validat=false"}, wantErr: true},
		{name: "bad boolean", input: []string{"PruneLast=yes"}, wantErr: true},
		{name: "bad policy", input: []string{"PrunePropagationPolicy=later"}, wantErr: true},
		{name: "no value", input: []string{"PruneLast"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseOptions(tt.input)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAnnotationOverridesApplicationOptions(t *testing.T) {
	app, err := ParseOptions([]string{"Validate=true", "PruneLast=false"})
	if err != nil {
		t.Fatal(err)
	}
	obj := object("ConfigMap", "ns", "c", map[string]string{"argocd.argoproj.io/sync-options": "Validate=false, PruneLast=true,Prune=false"})
	got, err := app.For(obj)
	if err != nil {
		t.Fatal(err)
	}
	if got.Validate || !got.PruneLast || got.Prune != ModeNever {
		t.Errorf("annotation did not win: %+v", got)
	}
	plain, err := app.For(object("ConfigMap", "ns", "d", nil))
	if err != nil || plain != app {
		t.Errorf("object without annotation got %+v, %v; want the Application's options", plain, err)
	}
	bad := object("ConfigMap", "ns", "e", map[string]string{"argocd.argoproj.io/sync-options": "Nope=true"})
	if _, err := app.For(bad); err == nil {
		t.Error("an unknown option in the annotation was accepted")
	}
}
