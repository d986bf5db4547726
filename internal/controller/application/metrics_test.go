package application

import (
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestOperationLabel(t *testing.T) {
	for _, tc := range []struct {
		name string
		app  v1alpha1.Application
		want string
	}{
		{name: "idle", want: ""},
		{name: "requested", app: v1alpha1.Application{Operation: &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}}, want: "sync"},
		{name: "running", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationRunning}}}, want: "sync"},
		{name: "done", app: v1alpha1.Application{Status: v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded}}}, want: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := operationLabel(&tc.app); got != tc.want {
				t.Errorf("operationLabel = %q, want %q", got, tc.want)
			}
		})
	}
}
