package application

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestIsLeftover(t *testing.T) {
	alice := v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Prune: true}, InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"}}
	bob := v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Prune: true}, InitiatedBy: v1alpha1.OperationInitiator{Username: "bob"}}
	app := func(op *v1alpha1.Operation, phase v1alpha1.OperationPhase, generation int64) *v1alpha1.Application {
		return &v1alpha1.Application{
			ObjectMeta: metav1.ObjectMeta{UID: "one", Generation: generation},
			Operation:  op,
			Status:     v1alpha1.ApplicationStatus{OperationState: &v1alpha1.OperationState{Operation: alice, Phase: phase}},
		}
	}
	ran := ranFrom{uid: "one", generation: 4}
	for _, tc := range []struct {
		name string
		app  *v1alpha1.Application
		from ranFrom
		want bool
	}{
		{"the request that ran, at the generation it ran from", app(&alice, v1alpha1.OperationSucceeded, 4), ran, true},
		{"the same request after a failed operation", app(&alice, v1alpha1.OperationFailed, 4), ran, true},
		{"the same request written again after it was cleared", app(&alice, v1alpha1.OperationSucceeded, 6), ran, false},
		{"another request", app(&bob, v1alpha1.OperationSucceeded, 4), ran, false},
		{"no request", app(nil, v1alpha1.OperationSucceeded, 4), ran, false},
		{"the operation still runs", app(&alice, v1alpha1.OperationRunning, 4), ran, false},
		{"an Application of the same name created anew", app(&alice, v1alpha1.OperationSucceeded, 4), ranFrom{uid: "two", generation: 4}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := isLeftover(tc.app, tc.from); got != tc.want {
				t.Errorf("isLeftover = %v, want %v", got, tc.want)
			}
		})
	}
}
