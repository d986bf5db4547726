package server

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestSyncOperation(t *testing.T) {
	manual := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", TargetRevision: "main"}}}
	auto := manual.DeepCopy()
	auto.Spec.SyncPolicy = &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{}}
	multi := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Sources: v1alpha1.ApplicationSources{{RepoURL: "a"}, {RepoURL: "b"}, {RepoURL: "c"}}}}
	user := v1alpha1.OperationInitiator{Username: "alice"}
	tests := []struct {
		name    string
		app     *v1alpha1.Application
		req     syncRequest
		want    v1alpha1.Operation
		wantErr bool
	}{
		{"everything the request says", manual, syncRequest{Revision: "v1", Prune: true, DryRun: true,
			Strategy:      &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{Force: true}},
			Resources:     []v1alpha1.SyncOperationResource{{Kind: "ConfigMap", Name: "c", Namespace: "n"}},
			Infos:         []v1alpha1.Info{{Name: "reason", Value: "test"}},
			RetryStrategy: &v1alpha1.RetryStrategy{Limit: 3},
			SyncOptions: &struct {
				Items []string `json:"items,omitempty"`
			}{Items: []string{"CreateNamespace=true"}}},
			v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "v1", Prune: true, DryRun: true,
				SyncStrategy: &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{Force: true}},
				Resources:    []v1alpha1.SyncOperationResource{{Kind: "ConfigMap", Name: "c", Namespace: "n"}},
				SyncOptions:  v1alpha1.SyncOptions{"CreateNamespace=true"}},
				InitiatedBy: user, Info: []v1alpha1.Info{{Name: "reason", Value: "test"}}, Retry: v1alpha1.RetryStrategy{Limit: 3}}, false},
		{"automated at its target", auto, syncRequest{Revision: "main"}, v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "main"}, InitiatedBy: user}, false},
		{"automated elsewhere", auto, syncRequest{Revision: "v1"}, v1alpha1.Operation{}, true},
		{"automated elsewhere, dry run", auto, syncRequest{Revision: "v1", DryRun: true}, v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "v1", DryRun: true}, InitiatedBy: user}, false},
		{"automated with local manifests", auto, syncRequest{Manifests: []string{"{}"}}, v1alpha1.Operation{}, true},
		{"revisions by position", multi, syncRequest{Revisions: []string{"v3", "v1"}, Positions: []int64String{3, 1}},
			v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revisions: []string{"v1", "", "v3"}}, InitiatedBy: user}, false},
		{"position out of range", multi, syncRequest{Revisions: []string{"v"}, Positions: []int64String{4}}, v1alpha1.Operation{}, true},
		{"revisions without positions", multi, syncRequest{Revisions: []string{"v"}}, v1alpha1.Operation{}, true},
		{"revisions of one source", manual, syncRequest{Revisions: []string{"v"}, Positions: []int64String{1}}, v1alpha1.Operation{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := syncOperation(tt.app, tt.req, "alice")
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); err == nil && diff != "" {
				t.Errorf("operation (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBusy(t *testing.T) {
	op := &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "v1"}}
	other := &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "v2"}}
	state := func(phase v1alpha1.OperationPhase, o *v1alpha1.Operation) *v1alpha1.OperationState {
		return &v1alpha1.OperationState{Phase: phase, Operation: *o}
	}
	tests := []struct {
		name string
		op   *v1alpha1.Operation
		os   *v1alpha1.OperationState
		want bool
	}{
		{"idle", nil, nil, false},
		{"requested", op, nil, true},
		{"running automated", nil, state(v1alpha1.OperationRunning, other), true},
		{"terminating", op, state(v1alpha1.OperationTerminating, op), true},
		{"finished", nil, state(v1alpha1.OperationSucceeded, op), false},
		{"finished, request not yet cleared", op, state(v1alpha1.OperationFailed, op), false},
		{"finished, another requested", other, state(v1alpha1.OperationSucceeded, op), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app := &v1alpha1.Application{Operation: tt.op}
			app.Status.OperationState = tt.os
			if got := busy(app); got != tt.want {
				t.Errorf("busy = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestOverrides(t *testing.T) {
	one := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", TargetRevision: "main"}}}
	head := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r"}}}
	multi := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Sources: v1alpha1.ApplicationSources{{RepoURL: "a", TargetRevision: "v1"}, {RepoURL: "b"}}}}
	tests := []struct {
		name string
		app  *v1alpha1.Application
		req  syncRequest
		want bool
	}{
		{"the target", one, syncRequest{}, false},
		{"the target named", one, syncRequest{Revision: "main"}, false},
		{"another revision", one, syncRequest{Revision: "v2"}, true},
		{"HEAD when no target", head, syncRequest{Revision: "HEAD"}, false},
		{"local manifests", one, syncRequest{Manifests: []string{"{}"}}, true},
		{"a source's own target", multi, syncRequest{Revisions: []string{"v1"}, Positions: []int64String{1}}, false},
		{"another revision of a source", multi, syncRequest{Revisions: []string{"v1", "v9"}, Positions: []int64String{1, 2}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := overrides(tt.app, tt.req); got != tt.want {
				t.Errorf("overrides = %v, want %v", got, tt.want)
			}
		})
	}
}

// int64 fields come as JSON strings from Argo CD's clients, or as numbers.
func TestRequestsReadInt64Strings(t *testing.T) {
	var sync syncRequest
	if err := json.Unmarshal([]byte(`{"revisions":["a","b"],"sourcePositions":["2",1]}`), &sync); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]int64String{2, 1}, sync.Positions); diff != "" {
		t.Errorf("positions (-want +got):\n%s", diff)
	}
	var rollback rollbackRequest
	if err := json.Unmarshal([]byte(`{"id":"12"}`), &rollback); err != nil || rollback.ID != 12 {
		t.Errorf("id %d (%v), want 12", rollback.ID, err)
	}
	if err := json.Unmarshal([]byte(`{"id":"x"}`), &rollback); err == nil {
		t.Error("an id that is no number was read")
	}
}
