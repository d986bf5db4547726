package application

import (
	"crypto/sha256"
	"encoding/hex"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/apply"
)

// ownedFields digests the set of fields capstan's server-side apply owns
// on live, as its managedFields record them: "" when capstan wrote the
// object otherwise too (an update, a merge patch), since then its apply
// may not own every desired field.
//
// After an apply, capstan owns every field of the desired object. Any
// other writer that changes one of them takes its ownership away (an
// update or a merge patch moves the fields it changes to its own manager;
// a forced apply too). So while this set stays as the apply left it, no
// desired field has been changed by anyone, and an object whose set
// shrank has drifted: telling either needs no dry run.
func ownedFields(live *unstructured.Unstructured) string {
	var own *metav1.ManagedFieldsEntry
	for _, e := range live.GetManagedFields() {
		if e.Manager != apply.FieldManager || e.Subresource != "" {
			continue
		}
		if e.Operation != metav1.ManagedFieldsOperationApply || own != nil || e.FieldsV1 == nil {
			return ""
		}
		own = &e
	}
	if own == nil {
		return ""
	}
	sum := sha256.Sum256(append([]byte(own.APIVersion+"\n"), own.FieldsV1.Raw...))
	return hex.EncodeToString(sum[:12])
}

// ownershipDecides reports whether the fields capstan owns on live tell,
// without a dry run, whether it still matches the desired object v was
// concluded on: v was recorded after capstan applied that object (it
// knows what capstan owned then) and found it in sync, live is the same
// object, what capstan owns on it can still be read (ownedFields: its
// apply's entry is there, alone, not mixed with an update of its own;
// otherwise a dry run decides), and nothing but a
// difference of value could make the comparison differ: no
// ignoreDifferences rule (plain), no status in the desired object
// (compared or not by settings), no rules that the cluster aggregates
// into a ClusterRole.
func ownershipDecides(v verdict, desired, live *unstructured.Unstructured, plain bool) bool {
	if !plain || v.owned == "" || v.modified || v.shared || live.GetUID() != v.uid || ownedFields(live) == "" {
		return false
	}
	if _, ok := desired.Object["status"]; ok {
		return false
	}
	_, aggregated := desired.Object["aggregationRule"]
	return !aggregated
}
