package application

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/record"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The reasons of the Events capstan records on an Application, Argo CD's,
// so that alerts and `kubectl describe` read the same.
const (
	ReasonOperationStarted   = "OperationStarted"
	ReasonOperationCompleted = "OperationCompleted"
	ReasonResourceUpdated    = "ResourceUpdated"
)

// EventRecorder records Kubernetes Events (client-go's record.EventRecorder).
type EventRecorder interface {
	Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...any)
}

// EventSource is the component the Events name as their source.
const EventSource = "capstan-application-controller"

// NewEventRecorder returns a recorder of Events on Applications, sent
// through cfg until ctx ends. Events of the same reason and message are
// counted in one Event, as the core/v1 recorder does; unlike the
// events.k8s.io recorder it keeps the message of each transition.
func NewEventRecorder(ctx context.Context, cfg *rest.Config, scheme *runtime.Scheme) (EventRecorder, error) {
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("events client: %w", err)
	}
	b := record.NewBroadcaster(record.WithContext(ctx), record.WithCorrelatorOptions(EventCorrelation))
	b.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: cs.CoreV1().Events("")})
	return b.NewRecorder(scheme, corev1.EventSource{Component: EventSource}), nil
}

// EventCorrelation bounds what the recorder remembers of the Events it
// sent, by which it counts a repeated Event in the one already written and
// holds back a flood from one Application. It keeps the 256 latest of each
// (4096 by default): 3000 Events on 1000 Applications held 2.8 MiB of
// heap with the default and 0.5 MiB with 256 (docs/performance.md, "Memory
// on 2026-12-03 evening: the Event recorder and the shared strings"). An
// Application that repeats an Event is among the latest while it repeats.
var EventCorrelation = record.CorrelatorOptions{LRUCacheSize: 256}

// appEvent is one Event to record on an Application.
type appEvent struct {
	Type, Reason, Message string
}

// transitions are the Events that the change of an Application from before
// to after calls for: an operation that started, sync and health statuses
// that changed, an operation that completed, in that order. An operation
// that starts and completes between before and after gets one Event, its
// completion, which also tells who started it: each Event is an API write.
func transitions(before, after *v1alpha1.Application) []appEvent {
	var out []appEvent
	was, is := before.Status.OperationState, after.Status.OperationState
	fresh := startedIn(was, is)
	done := is != nil && is.Phase.Completed() && (fresh || !was.Phase.Completed())
	if fresh && !done {
		out = append(out, appEvent{Type: corev1.EventTypeNormal, Reason: ReasonOperationStarted, Message: initiated(is)})
	}
	if b, a := before.Status.Sync.Status, after.Status.Sync.Status; b != a {
		out = append(out, appEvent{Type: corev1.EventTypeNormal, Reason: ReasonResourceUpdated,
			Message: fmt.Sprintf("Updated sync status: %s -> %s", b, a)})
	}
	if b, a := before.Status.Health.Status, after.Status.Health.Status; b != a {
		out = append(out, appEvent{Type: corev1.EventTypeNormal, Reason: ReasonResourceUpdated,
			Message: fmt.Sprintf("Updated health status: %s -> %s", b, a)})
	}
	if done {
		out = append(out, completed(is, fresh))
	}
	return out
}

// startedIn reports whether the operation is started between the
// Application's operation states was and is.
func startedIn(was, is *v1alpha1.OperationState) bool {
	return is != nil && (was == nil || !was.StartedAt.Equal(&is.StartedAt))
}

// initiated is the message of an operation's start.
func initiated(os *v1alpha1.OperationState) string {
	return fmt.Sprintf("Initiated %ssync to '%s'", initiator(os), operationRevision(os))
}

// completed is the Event of a finished operation: Warning when it failed.
func completed(os *v1alpha1.OperationState, started bool) appEvent {
	what := operationName(os, started)
	if os.Phase == v1alpha1.OperationSucceeded {
		return appEvent{Type: corev1.EventTypeNormal, Reason: ReasonOperationCompleted, Message: what + " succeeded"}
	}
	return appEvent{Type: corev1.EventTypeWarning, Reason: ReasonOperationCompleted, Message: what + " failed: " + os.Message}
}

// operationName names a finished operation in its Event: Argo CD's "Sync
// operation to REV", or, when the pass that ends it also started it,
// "Automated sync to 'REV'", which says what OperationStarted would have.
func operationName(os *v1alpha1.OperationState, started bool) string {
	kind := "sync"
	if os.Operation.Sync != nil && len(os.Operation.Sync.Resources) > 0 {
		kind = "partial sync"
	}
	rev := operationRevision(os)
	if started {
		what := initiator(os) + kind + " to '" + rev + "'"
		return strings.ToUpper(what[:1]) + what[1:]
	}
	what := strings.ToUpper(kind[:1]) + kind[1:] + " operation"
	if rev != "" {
		what += " to " + rev
	}
	return what
}

func initiator(os *v1alpha1.OperationState) string {
	if os.Operation.InitiatedBy.Automated {
		return "automated "
	}
	return ""
}

// operationRevision is the revision (or revisions) an operation syncs.
func operationRevision(os *v1alpha1.OperationState) string {
	if r := os.SyncResult; r != nil {
		if len(r.Revisions) > 1 {
			return strings.Join(r.Revisions, ", ")
		}
		if r.Revision != "" {
			return r.Revision
		}
	}
	if os.Operation.Sync != nil {
		return os.Operation.Sync.Revision
	}
	return ""
}

// announce records the Events and writes the Info lines of what changed
// between before and the Application as the API server now holds it.
func (r *Reconciler) announce(ctx context.Context, before, after *v1alpha1.Application) {
	log := logr.FromContextOrDiscard(ctx)
	for _, e := range transitions(before, after) {
		switch e.Reason {
		case ReasonOperationStarted:
			log.Info("operation started", "application", after.Name, "message", e.Message)
		case ReasonOperationCompleted:
			if is := after.Status.OperationState; startedIn(before.Status.OperationState, is) {
				// No Event tells of its start (each is an API write), but
				// the log does, as for any other operation.
				log.Info("operation started", "application", after.Name, "message", initiated(is))
			}
			log.Info("operation completed", "application", after.Name, "phase", after.Status.OperationState.Phase, "message", e.Message)
		}
		if r.Events != nil {
			r.Events.Eventf(after, e.Type, e.Reason, "%s", e.Message)
		}
	}
	for _, rr := range written(before.Status.OperationState, after.Status.OperationState) {
		verb := "object applied"
		if rr.Status == v1alpha1.ResultCodePruned {
			verb = "object pruned"
		}
		// "namespace" and "name" already name the Application.
		log.Info(verb, "application", after.Name, "group", rr.Group, "kind", rr.Kind, "object", objectRef(rr.Namespace, rr.Name),
			"phase", rr.SyncPhase, "message", rr.Message)
	}
}

// written are the results of the operation in after that record an object
// applied or pruned and that before did not have yet.
func written(before, after *v1alpha1.OperationState) []v1alpha1.ResourceResult {
	if after == nil || after.SyncResult == nil || after.Operation.Sync != nil && after.Operation.Sync.DryRun {
		return nil
	}
	seen := map[resultID]bool{}
	if before != nil && before.SyncResult != nil && before.StartedAt.Equal(&after.StartedAt) && before.RetryCount == after.RetryCount {
		for _, rr := range before.SyncResult.Resources {
			seen[identity(rr)] = true
		}
	}
	var out []v1alpha1.ResourceResult
	for _, rr := range after.SyncResult.Resources {
		switch rr.Status {
		case v1alpha1.ResultCodeSynced, v1alpha1.ResultCodePruned:
		default:
			continue
		}
		if !seen[identity(rr)] {
			out = append(out, rr)
		}
	}
	return out
}

// resultID is what tells one result from another: the object, the phase
// and the outcome, not the message.
type resultID struct {
	group, kind, namespace, name string
	phase                        v1alpha1.SyncPhase
	status                       v1alpha1.ResultCode
}

func identity(rr v1alpha1.ResourceResult) resultID {
	return resultID{rr.Group, rr.Kind, rr.Namespace, rr.Name, rr.SyncPhase, rr.Status}
}

// objectRef is namespace/name, or the name of a cluster-scoped object.
func objectRef(namespace, name string) string {
	if namespace == "" {
		return name
	}
	return namespace + "/" + name
}
