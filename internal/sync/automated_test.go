package sync

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestDecideAutoSync(t *testing.T) {
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	off := false
	auto := func(a v1alpha1.SyncPolicyAutomated) *v1alpha1.SyncPolicy { return &v1alpha1.SyncPolicy{Automated: &a} }
	last := func(phase v1alpha1.OperationPhase, revision string, automated bool) *v1alpha1.OperationState {
		return &v1alpha1.OperationState{
			Operation:  v1alpha1.Operation{InitiatedBy: v1alpha1.OperationInitiator{Automated: automated}},
			Phase:      phase,
			Message:    "boom",
			SyncResult: &v1alpha1.SyncOperationResult{Revision: revision},
		}
	}
	// failedFor is a failed automated operation of revision b whose
	// results failed with messages.
	failedFor := func(messages ...string) *v1alpha1.OperationState {
		os := last(v1alpha1.OperationFailed, "b", true)
		for _, m := range messages {
			os.SyncResult.Resources = append(os.SyncResult.Resources, v1alpha1.ResourceResult{Kind: "Gadget", Name: "g", Status: v1alpha1.ResultCodeSyncFailed, Message: m})
		}
		return os
	}
	base := AutoSyncInput{Status: v1alpha1.SyncStatusCodeOutOfSync, Revision: "b", Desired: 3, Now: now}
	with := func(f func(*AutoSyncInput)) AutoSyncInput { in := base; f(&in); return in }

	tests := []struct {
		name string
		in   AutoSyncInput
		want AutoSyncDecision
	}{
		{"no policy", base, AutoSyncDecision{}},
		{"automated, new revision", with(func(in *AutoSyncInput) { in.Policy = auto(v1alpha1.SyncPolicyAutomated{}) }), AutoSyncDecision{Sync: true}},
		{"automated switched off", with(func(in *AutoSyncInput) { in.Policy = auto(v1alpha1.SyncPolicyAutomated{Enabled: &off}) }), AutoSyncDecision{}},
		{"already synced", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Status = v1alpha1.SyncStatusCodeSynced
		}), AutoSyncDecision{}},
		{"operation in progress", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.OperationPending = true
		}), AutoSyncDecision{}},
		{"only prunes left, prune off", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{SelfHeal: true})
			in.PruneOnly = true
		}), AutoSyncDecision{}},
		{"only prunes left, prune on", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{Prune: true})
			in.PruneOnly = true
		}), AutoSyncDecision{Sync: true}},
		{"empty render refused", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{Prune: true})
			in.Desired = 0
		}), AutoSyncDecision{Reason: "automated sync refused: the desired state has no resources and allowEmpty is false"}},
		{"empty render allowed", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{Prune: true, AllowEmpty: true})
			in.Desired = 0
		}), AutoSyncDecision{Sync: true}},
		{"failed revision not retried", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = last(v1alpha1.OperationFailed, "b", true)
		}), AutoSyncDecision{Reason: "automated sync of revision b failed, not retrying until the revision changes: boom"}},
		{"failed for a kind the cluster now knows", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = failedFor(`resolve kind x.dev/v1, Kind=Gadget: no matches for kind "Gadget" in version "x.dev/v1"`)
			in.KindsKnown = true
		}), AutoSyncDecision{Sync: true}},
		{"failed for a kind the cluster still does not know", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = failedFor(`no matches for kind "Gadget"`)
		}), AutoSyncDecision{Reason: "automated sync of revision b failed, not retrying until the revision changes: boom"}},
		{"failed for an unknown kind and for something else", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = failedFor(`no matches for kind "Gadget"`, "admission webhook refused it")
			in.KindsKnown = true
		}), AutoSyncDecision{Reason: "automated sync of revision b failed, not retrying until the revision changes: boom"}},
		{"failed older revision, new commit", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = last(v1alpha1.OperationFailed, "a", true)
		}), AutoSyncDecision{Sync: true}},
		{"manual sync failed: automation may try", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = last(v1alpha1.OperationFailed, "b", false)
		}), AutoSyncDecision{Sync: true}},
		{"drift without selfHeal", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = last(v1alpha1.OperationSucceeded, "b", true)
		}), AutoSyncDecision{}},
		{"same revision, new source, without selfHeal", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = last(v1alpha1.OperationSucceeded, "b", true)
			in.SourceChanged = true
		}), AutoSyncDecision{Sync: true}},
		{"failed revision, then a new source", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{})
			in.Last = last(v1alpha1.OperationFailed, "b", true)
			in.SourceChanged = true
		}), AutoSyncDecision{Sync: true}},
		{"drift with selfHeal", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{SelfHeal: true})
			in.Last = last(v1alpha1.OperationSucceeded, "b", true)
		}), AutoSyncDecision{Sync: true}},
		{"self-heal backing off", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{SelfHeal: true})
			in.Last = last(v1alpha1.OperationSucceeded, "b", true)
			in.HealAttempts = 2
			in.LastHeal = now.Add(-4 * time.Second)
		}), AutoSyncDecision{RetryAfter: 6 * time.Second}},
		{"self-heal after backoff", with(func(in *AutoSyncInput) {
			in.Policy = auto(v1alpha1.SyncPolicyAutomated{SelfHeal: true})
			in.Last = last(v1alpha1.OperationSucceeded, "b", true)
			in.HealAttempts = 2
			in.LastHeal = now.Add(-11 * time.Second)
		}), AutoSyncDecision{Sync: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, DecideAutoSync(tt.in)); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSelfHealBackoff(t *testing.T) {
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second, 160 * time.Second, 3 * time.Minute, 3 * time.Minute}
	for n, w := range want {
		if got := SelfHealBackoff(n); got != w {
			t.Errorf("SelfHealBackoff(%d) = %s, want %s", n, got, w)
		}
	}
}
