package diff

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// A jq path expression that never ends must not hold the worker: the
// comparison fails with an error naming the expression.
func TestEndlessJQExpressionIsStopped(t *testing.T) {
	for _, expr := range []string{
		"def f: f; f",
		"repeat(.)",
		".spec | until(false; .)",
		"def f: f | f; f",
	} {
		t.Run(expr, func(t *testing.T) {
			ign, err := NewIgnorer([]v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", JQPathExpressions: []string{expr}}})
			if err != nil {
				t.Fatal(err)
			}
			live := parse(t, desiredDeployment)
			_, err = Compare(t.Context(), parse(t, desiredDeployment), live, ign)
			if err == nil {
				t.Fatal("Compare succeeded; want an error for an endless expression")
			}
			if !strings.Contains(err.Error(), expr) || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("error %q does not name the expression %q and the deadline", err, expr)
			}
		})
	}
}

// A cancelled reconcile stops an evaluation at once, whatever the bound.
func TestJQExpressionHonoursCancellation(t *testing.T) {
	ign, err := NewIgnorer([]v1alpha1.ResourceIgnoreDifferences{{Group: "apps", Kind: "Deployment", JQPathExpressions: []string{"def f: f; f"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer func(d time.Duration) { QueryTimeout = d }(QueryTimeout)
	QueryTimeout = 1 << 62
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err = Compare(ctx, parse(t, desiredDeployment), parse(t, desiredDeployment), ign)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Compare with a cancelled context = %v; want context.Canceled", err)
	}
}
