package apply

import (
	"crypto/sha256"
	"encoding/hex"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// OwnedFields digests the set of fields capstan's server-side apply owns
// on an object, as its managedFields record them: "" when capstan wrote
// the object otherwise too (an update, a merge patch), since then its
// apply may not own every desired field.
//
// After an apply, capstan owns every field of the desired object. Any
// other writer that changes one of them takes its ownership away (an
// update or a merge patch moves the fields it changes to its own manager;
// a forced apply too). So while this set stays as the apply left it, no
// desired field has been changed by anyone, and an object whose set
// shrank has drifted: telling either needs no dry run.
func OwnedFields(managed []metav1.ManagedFieldsEntry) string {
	var own *metav1.ManagedFieldsEntry
	for _, e := range managed {
		if e.Manager != FieldManager || e.Subresource != "" {
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
