package sync

import (
	"fmt"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// AutoSyncInput is what the automated sync decision looks at.
type AutoSyncInput struct {
	Policy *v1alpha1.SyncPolicy
	// Status is the comparison's result.
	Status v1alpha1.SyncStatusCode
	// Revision is the resolved desired revision (several joined for
	// multi-source Applications).
	Revision string
	// Desired is how many objects the render produced.
	Desired int
	// PruneOnly is true when the only differences are objects to prune.
	PruneOnly bool
	// Last is the Application's last operation, if any.
	Last *v1alpha1.OperationState
	// SourceChanged is true when the Application's sources differ from
	// those Last synced (a new path, parameter or value): like a new
	// revision, it calls for a sync.
	SourceChanged bool
	// KindsKnown is true when the cluster knows the kind of every desired
	// object: an automated sync that failed only because it did not is
	// tried again once it does (a CRD installed by someone else).
	KindsKnown bool
	// OperationPending is true while an operation is requested or running.
	OperationPending bool
	// HealAttempts counts self-heal syncs of this revision so far, and
	// LastHeal is when the latest one finished.
	HealAttempts int
	LastHeal     time.Time
	Now          time.Time
}

// AutoSyncDecision says whether to start an automated sync, and why not.
type AutoSyncDecision struct {
	Sync bool
	// Reason explains a refusal that a user should see (a condition);
	// empty when there is nothing to report.
	Reason string
	// RetryAfter, when set, is when self-heal may try again.
	RetryAfter time.Duration
}

// SelfHealBackoff is the wait before the n-th self-heal of one revision
// (n from 0): 5s, doubling, at most 3 minutes, so that something that keeps
// reverting capstan's change is not fought in a tight loop.
func SelfHealBackoff(n int) time.Duration {
	d := 5 * time.Second
	for range n {
		d *= 2
		if d >= 3*time.Minute {
			return 3 * time.Minute
		}
	}
	return d
}

// DecideAutoSync applies Argo CD's rules for syncPolicy.automated as a list
// of checks, each of which can stop the sync.
func DecideAutoSync(in AutoSyncInput) AutoSyncDecision {
	for _, check := range []func(AutoSyncInput) (AutoSyncDecision, bool){
		automatedOn,
		notBusy,
		outOfSync,
		somethingToApply,
		notEmpty,
		notFailedBefore,
		selfHealAllowed,
	} {
		if d, stop := check(in); stop {
			return d
		}
	}
	return AutoSyncDecision{Sync: true}
}

func automatedOn(in AutoSyncInput) (AutoSyncDecision, bool) {
	return AutoSyncDecision{}, !in.Policy.IsAutomatedSyncEnabled()
}

func notBusy(in AutoSyncInput) (AutoSyncDecision, bool) {
	return AutoSyncDecision{}, in.OperationPending
}

func outOfSync(in AutoSyncInput) (AutoSyncDecision, bool) {
	return AutoSyncDecision{}, in.Status != v1alpha1.SyncStatusCodeOutOfSync
}

// somethingToApply: when only prunes are left and automated prune is off,
// a sync would change nothing, and running it would loop.
func somethingToApply(in AutoSyncInput) (AutoSyncDecision, bool) {
	return AutoSyncDecision{}, in.PruneOnly && !in.Policy.GetAutomated().Prune
}

// notEmpty refuses a sync that would leave the Application with nothing,
// unless allowEmpty says that is wanted: an empty render is far more often
// a mistake (a wrong path, a broken generator) than an intent.
func notEmpty(in AutoSyncInput) (AutoSyncDecision, bool) {
	if in.Desired > 0 || in.Policy.GetAutomated().AllowEmpty {
		return AutoSyncDecision{}, false
	}
	return AutoSyncDecision{Reason: "automated sync refused: the desired state has no resources and allowEmpty is false"}, true
}

// notFailedBefore makes one automated attempt per revision: a revision
// whose automated sync failed waits for a new commit (or a manual sync).
func notFailedBefore(in AutoSyncInput) (AutoSyncDecision, bool) {
	l := in.Last
	if l == nil || !l.Operation.InitiatedBy.Automated || l.SyncResult == nil || l.SyncResult.Revision != in.Revision || in.SourceChanged {
		return AutoSyncDecision{}, false
	}
	if l.Phase == v1alpha1.OperationFailed && in.KindsKnown && FailedForUnknownKind(l) {
		return AutoSyncDecision{}, false
	}
	if l.Phase == v1alpha1.OperationFailed || l.Phase == v1alpha1.OperationError {
		return AutoSyncDecision{Reason: fmt.Sprintf("automated sync of revision %s failed, not retrying until the revision changes: %s", in.Revision, l.Message)}, true
	}
	return AutoSyncDecision{}, false
}

// FailedForUnknownKind reports whether an operation failed only for
// objects of kinds the cluster did not know (their CRD did not exist):
// every failed result says so in the API server's words.
func FailedForUnknownKind(os *v1alpha1.OperationState) bool {
	if os.SyncResult == nil {
		return false
	}
	found := false
	for _, rr := range os.SyncResult.Resources {
		if rr.Status != v1alpha1.ResultCodeSyncFailed {
			continue
		}
		if !strings.Contains(rr.Message, "no matches for kind") {
			return false
		}
		found = true
	}
	return found
}

// selfHealAllowed: once a revision has been synced, being out of sync again
// is drift, which only selfHeal repairs, with backoff between attempts.
func selfHealAllowed(in AutoSyncInput) (AutoSyncDecision, bool) {
	l := in.Last
	if l == nil || l.Phase != v1alpha1.OperationSucceeded || l.SyncResult == nil || l.SyncResult.Revision != in.Revision || in.SourceChanged {
		return AutoSyncDecision{}, false // a new revision or source
	}
	if !in.Policy.GetAutomated().SelfHeal {
		return AutoSyncDecision{}, true
	}
	if in.HealAttempts > 0 {
		if wait := SelfHealBackoff(in.HealAttempts-1) - in.Now.Sub(in.LastHeal); wait > 0 {
			return AutoSyncDecision{RetryAfter: wait}, true
		}
	}
	return AutoSyncDecision{}, false
}
