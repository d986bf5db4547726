package application

import (
	"context"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The log tells of every operation's start and end, at info, even when one
// Event stands for both (docs/observability.md).
func TestAnnounceLogsStartAndEnd(t *testing.T) {
	started := metav1.NewTime(time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC))
	op := func(phase v1alpha1.OperationPhase, at metav1.Time) *v1alpha1.OperationState {
		return &v1alpha1.OperationState{Phase: phase, StartedAt: at,
			Operation:  v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}},
			SyncResult: &v1alpha1.SyncOperationResult{Revision: "abc"}}
	}
	app := func(os *v1alpha1.OperationState) *v1alpha1.Application {
		a := &v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: os}}
		a.Name = "shop"
		return a
	}
	const (
		start = `"level"=0 "msg"="operation started" "application"="shop" "message"="Initiated automated sync to 'abc'"`
		end   = `"level"=0 "msg"="operation completed" "application"="shop" "phase"="Succeeded" "message"=`
	)
	for _, tc := range []struct {
		name          string
		before, after *v1alpha1.Application
		want          []string
	}{
		{name: "started and ended in one pass", before: app(nil), after: app(op(v1alpha1.OperationSucceeded, started)),
			want: []string{start, end + `"Automated sync to 'abc' succeeded"`}},
		{name: "started", before: app(nil), after: app(op(v1alpha1.OperationRunning, started)), want: []string{start}},
		{name: "ended in a later pass", before: app(op(v1alpha1.OperationRunning, started)), after: app(op(v1alpha1.OperationSucceeded, started)),
			want: []string{end + `"Sync operation to abc succeeded"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var lines []string
			log := funcr.New(func(_, args string) { lines = append(lines, args) }, funcr.Options{})
			(&Reconciler{}).announce(logr.NewContext(context.Background(), log), tc.before, tc.after)
			if diff := cmp.Diff(tc.want, lines); diff != "" {
				t.Errorf("log lines (-want +got):\n%s", diff)
			}
		})
	}
}
