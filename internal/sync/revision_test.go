package sync

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestOperationSources(t *testing.T) {
	src := func(repo, rev string) v1alpha1.ApplicationSource {
		return v1alpha1.ApplicationSource{RepoURL: repo, TargetRevision: rev, Path: "app"}
	}
	one := &v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "a", TargetRevision: "main", Path: "app"}}
	two := &v1alpha1.ApplicationSpec{Sources: v1alpha1.ApplicationSources{src("a", "main"), src("b", "HEAD")}}
	old := src("a", "HEAD")
	tests := []struct {
		name string
		spec *v1alpha1.ApplicationSpec
		op   *v1alpha1.SyncOperation
		want v1alpha1.ApplicationSources
	}{
		{"no operation", one, nil, v1alpha1.ApplicationSources{src("a", "main")}},
		{"no revision", one, &v1alpha1.SyncOperation{}, v1alpha1.ApplicationSources{src("a", "main")}},
		{"a tag", one, &v1alpha1.SyncOperation{Revision: "v1.0.0"}, v1alpha1.ApplicationSources{src("a", "v1.0.0")}},
		{"a history entry's source", one, &v1alpha1.SyncOperation{Revision: "abc", Source: &old}, v1alpha1.ApplicationSources{src("a", "abc")}},
		{"revisions per source", two, &v1alpha1.SyncOperation{Revisions: []string{"v1", ""}}, v1alpha1.ApplicationSources{src("a", "v1"), src("b", "HEAD")}},
		{"revision of a multi-source app is not one source's", two, &v1alpha1.SyncOperation{Revision: "v1"}, v1alpha1.ApplicationSources{src("a", "main"), src("b", "HEAD")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, OperationSources(tt.spec, tt.op)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
	if one.Source.TargetRevision != "main" {
		t.Errorf("the Application's source was changed: %+v", one.Source)
	}
}

func TestRollback(t *testing.T) {
	history := []v1alpha1.RevisionHistory{
		{ID: 3, Revision: "aaa", Source: v1alpha1.ApplicationSource{RepoURL: "a", TargetRevision: "HEAD"}},
		{ID: 4, Revision: "x,y", Revisions: []string{"x", "y"}, Sources: v1alpha1.ApplicationSources{{RepoURL: "a"}, {RepoURL: "b"}}},
	}
	apply := &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{}}
	alice := v1alpha1.OperationInitiator{Username: "alice"}
	src := history[0].Source
	tests := []struct {
		name    string
		app     v1alpha1.Application
		id      int64
		want    v1alpha1.Operation
		wantErr string
	}{
		{name: "a single source", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{History: history}}, id: 3,
			want: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "aaa", Source: &src, Prune: true, SyncStrategy: apply}, InitiatedBy: alice}},
		{name: "several sources", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{History: history}}, id: 4,
			want: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revisions: []string{"x", "y"}, Sources: history[1].Sources, Prune: true, SyncStrategy: apply}, InitiatedBy: alice}},
		{name: "no such entry", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{History: history}}, id: 9,
			wantErr: "no history entry with id 9"},
		{name: "automated sync on", app: v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{SyncPolicy: &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{}}},
			Status: v1alpha1.ApplicationStatus{History: history}}, id: 3, wantErr: "cannot be initiated when auto-sync is enabled"},
		{name: "an operation runs", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{History: history,
			OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationRunning}}}, id: 3, wantErr: "already in progress"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Rollback(&tt.app, tt.id, true, false, "alice")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if HooksRun(got.Sync) {
				t.Error("a rollback runs hooks")
			}
		})
	}
}
