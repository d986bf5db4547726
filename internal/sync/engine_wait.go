package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
)

// gate says what the operation waits for before its next step: an object
// it applied that is not yet healthy, or a hook still running. A Degraded
// object or a failed hook is an error that fails the operation.
func (e *Engine) gate(ctx context.Context, os *v1alpha1.OperationState) (string, error) {
	waiting := ""
	for i := range os.SyncResult.Resources {
		rr := &os.SyncResult.Resources[i]
		if rr.Status != v1alpha1.ResultCodeSynced {
			continue
		}
		var h *health.Status
		var err error
		if rr.HookType != "" {
			if rr.HookPhase != v1alpha1.OperationRunning {
				continue
			}
			h, err = e.hookHealth(ctx, os, rr)
		} else {
			h = e.Cluster.Applied(rr)
		}
		if err != nil {
			return "", err
		}
		name := DescribeResult(rr)
		switch {
		case h == nil || h.Code == v1alpha1.HealthStatusHealthy || h.Code == v1alpha1.HealthStatusSuspended:
		case h.Code == v1alpha1.HealthStatusDegraded && rr.HookType != "":
			return "", fmt.Errorf("hook %s failed: %s", name, h.Message)
		case h.Code == v1alpha1.HealthStatusDegraded:
			return "", fmt.Errorf("%s is Degraded: %s", name, h.Message)
		case waiting == "":
			waiting = fmt.Sprintf("waiting for %s to become healthy (%s: %s)", name, h.Code, h.Message)
		}
	}
	return waiting, nil
}

// hookHealth reads a running hook, moves its phase on when it finished,
// and deletes it when its delete policy says so. A kind without a health
// check succeeds as soon as it exists.
func (e *Engine) hookHealth(ctx context.Context, os *v1alpha1.OperationState, rr *v1alpha1.ResourceResult) (*health.Status, error) {
	live, err := e.Cluster.Get(ctx, ResultObject(rr))
	if err != nil {
		return nil, err
	}
	if live == nil {
		rr.HookPhase, rr.Message = v1alpha1.OperationFailed, "the hook was deleted before it finished"
		return nil, fmt.Errorf("hook %s was deleted before it finished", DescribeResult(rr))
	}
	h, err := e.Cluster.Health(live)
	if err != nil {
		return nil, err
	}
	var policy v1alpha1.HookDeletePolicy
	switch {
	case h == nil || h.Code == v1alpha1.HealthStatusHealthy:
		rr.HookPhase, rr.Message = v1alpha1.OperationSucceeded, "hook succeeded"
		policy, h = v1alpha1.HookDeletePolicyHookSucceeded, nil
	case h.Code == v1alpha1.HealthStatusDegraded:
		rr.HookPhase, rr.Message = v1alpha1.OperationFailed, h.Message
		policy = v1alpha1.HookDeletePolicyHookFailed
	default:
		return h, nil
	}
	if slices.Contains(DeletePoliciesOf(live), policy) {
		// Recorded first: a hook found gone while recorded Running failed.
		if err := e.persist(ctx, os); err != nil {
			return nil, err
		}
		if err := e.Cluster.Delete(ctx, live, metav1.DeletePropagationBackground); err != nil {
			return nil, err
		}
	}
	return h, nil
}

// hooksFinished is the operation's last wait: for its hooks, not for the
// health of the objects of its last step.
func (e *Engine) hooksFinished(ctx context.Context, os *v1alpha1.OperationState) (string, error) {
	for i := range os.SyncResult.Resources {
		rr := &os.SyncResult.Resources[i]
		if rr.HookType == "" || rr.HookPhase != v1alpha1.OperationRunning {
			continue
		}
		h, err := e.hookHealth(ctx, os, rr)
		if err != nil {
			return "", err
		}
		if h != nil && h.Code == v1alpha1.HealthStatusDegraded {
			return "", fmt.Errorf("hook %s failed: %s", DescribeResult(rr), h.Message)
		}
		if rr.HookPhase == v1alpha1.OperationRunning {
			return fmt.Sprintf("waiting for hook %s to finish (%s: %s)", DescribeResult(rr), h.Code, h.Message), nil
		}
	}
	return "", nil
}

// Terminate ends an operation its user stopped (phase Terminating): the
// hooks it is running are deleted, and it ends Failed with
// MessageTerminated, as in Argo CD.
func (e *Engine) Terminate(ctx context.Context, os *v1alpha1.OperationState) error {
	var errs []error
	if os.SyncResult != nil {
		for i := range os.SyncResult.Resources {
			rr := &os.SyncResult.Resources[i]
			if rr.HookType == "" || rr.HookPhase != v1alpha1.OperationRunning {
				continue
			}
			live, err := e.Cluster.Get(ctx, ResultObject(rr))
			if err == nil && live != nil && live.GetDeletionTimestamp() == nil {
				err = e.Cluster.Delete(ctx, live, metav1.DeletePropagationBackground)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("delete hook %s: %w", DescribeResult(rr), err))
				continue
			}
			rr.HookPhase, rr.Message = v1alpha1.OperationFailed, "Terminated"
		}
	}
	msg := MessageTerminated
	if err := errors.Join(errs...); err != nil {
		msg += "; " + err.Error()
	}
	e.finish(os, v1alpha1.OperationFailed, msg)
	return nil
}
