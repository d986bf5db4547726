package application

import (
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/diff"
)

// ownedFields digests the set of fields capstan's server-side apply owns
// on live (apply.OwnedFields).
func ownedFields(live *unstructured.Unstructured) string {
	return apply.OwnedFields(live.GetManagedFields())
}

// ownershipDecides reports whether the fields capstan owns on live tell,
// without a dry run, whether it still matches the desired object v was
// concluded on: v was recorded after capstan applied that object (it
// knows what capstan owned then) and found it in sync, live (whose uid is
// given as its digest, and the digest of what capstan owns on it) is the same object,
// what capstan owns on it can still be read (ownedFields: its apply's
// entry is there, alone, not mixed with an update of its own; otherwise a
// dry run decides), and nothing but a
// difference of value could make the comparison differ: no
// ignoreDifferences rule, no knownTypeFields for the kind and no
// ClusterRole whose aggregated rules the comparison may leave out (plain,
// state.plainFor: another writer may add an aggregationRule the manifest
// lacks), a desired object the comparison sees whole (diff.Whole: no
// status, no annotation it leaves out such as a Deployment's revision
// that the manifest carries), no rules that the cluster aggregates into a
// ClusterRole the manifest declares aggregated.
func ownershipDecides(v verdict, desired *unstructured.Unstructured, uid uidDigest, owned string, plain bool) bool {
	if !plain || v.owned == "" || v.modified || v.shared || uid != v.uid || owned == "" {
		return false
	}
	if !diff.Whole(desired) {
		return false
	}
	_, aggregated := desired.Object["aggregationRule"]
	return !aggregated
}
