package application

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/controller-runtime/pkg/handler"
)

// A poll waits behind what a watch, a webhook or a user asked for.
func TestRequeuePriority(t *testing.T) {
	for _, tc := range []struct {
		name string
		st   *state
		want int
	}{
		{"the next poll", &state{}, handler.LowPriority},
		{"an operation waiting for health", &state{requeueAfter: time.Second}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, requeuePriority(tc.st)); diff != "" {
				t.Errorf("requeuePriority (-want +got):\n%s", diff)
			}
		})
	}
}
