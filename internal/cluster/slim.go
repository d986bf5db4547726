package cluster

import (
	"maps"
	"slices"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/intern"
)

// lastApplied is kubectl's copy of the whole object in an annotation.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// slim makes the copy of a watched object's metadata that the cache keeps:
// without what capstan never reads from memory and what makes up most of
// its size (kubectl's copy of the object, and the managed fields, of which
// it keeps only the digest of what capstan's apply owns: see
// OwnedFields), and sharing what objects have in common. Decoded, each
// object holds its own copy of every string and its own map of labels,
// although thousands of objects carry the same namespace, the same label
// and annotation keys, and often the same labels: the copy takes those
// from a table instead, so memory grows with what is particular to each
// object.
//
// A cached object is never modified (the informer's rule): a map of labels
// shared by many objects is safe there.
func slim(obj any) (any, error) {
	m, ok := obj.(*metav1.PartialObjectMetadata)
	if !ok {
		return obj, nil
	}
	shared.mu.Lock()
	defer shared.mu.Unlock()
	out := &metav1.PartialObjectMetadata{
		TypeMeta: metav1.TypeMeta{APIVersion: shared.string(m.APIVersion), Kind: shared.string(m.Kind)},
		ObjectMeta: metav1.ObjectMeta{
			Name:                       m.Name,
			GenerateName:               m.GenerateName,
			Namespace:                  shared.string(m.Namespace),
			UID:                        m.UID,
			ResourceVersion:            m.ResourceVersion,
			Generation:                 m.Generation,
			CreationTimestamp:          m.CreationTimestamp,
			DeletionTimestamp:          m.DeletionTimestamp,
			DeletionGracePeriodSeconds: m.DeletionGracePeriodSeconds,
			Labels:                     shared.labels(m.Labels),
			Annotations:                shared.annotations(m.Annotations),
			OwnerReferences:            m.OwnerReferences,
			Finalizers:                 m.Finalizers,
			ManagedFields:              shared.owned(ownedDigest(m)),
		},
	}
	return out, nil
}

// digestFields is the FieldsType of the one managed fields entry a
// slimmed object keeps: capstan's apply, its fields replaced by their
// digest. It is never sent to an API server.
const digestFields = "capstan.dev/digest"

// ownedDigest is the digest of the fields capstan's apply owns on m, which
// may have been slimmed already: the informer may run its transform twice
// on one object (it does on the objects of its first list), and the
// digest of a digest would tell a change where there is none.
func ownedDigest(m *metav1.PartialObjectMetadata) string {
	if d := OwnedFields(m); d != "" {
		return d
	}
	return apply.OwnedFields(m.ManagedFields)
}

// OwnedFields is, for an object of the watch's cache, the digest of the
// fields capstan's server-side apply owns on it (apply.OwnedFields), ""
// when unknown: the watch tells, without a read, whether another writer
// took one of them.
func OwnedFields(m *metav1.PartialObjectMetadata) string {
	if len(m.ManagedFields) != 1 || m.ManagedFields[0].FieldsType != digestFields || m.ManagedFields[0].FieldsV1 == nil {
		return ""
	}
	return string(m.ManagedFields[0].FieldsV1.Raw)
}

// shared is the table of strings and label maps that slimmed objects
// share, across clusters and kinds.
var shared = &sharedMeta{}

// sharedMeta holds one copy of each string and label map seen. Like its
// strings, its maps are bounded: at intern.Limit it starts afresh.
type sharedMeta struct {
	mu      sync.Mutex
	strings intern.Table
	maps    map[string]map[string]string
	// digests holds the managed fields entry of each digest of capstan's
	// fields: objects of the same shape share it.
	digests map[string][]metav1.ManagedFieldsEntry
}

// owned returns the managed fields a slimmed object keeps for the digest
// of capstan's fields: none when unknown.
func (t *sharedMeta) owned(digest string) []metav1.ManagedFieldsEntry {
	if digest == "" {
		return nil
	}
	if e, ok := t.digests[digest]; ok {
		return e
	}
	e := []metav1.ManagedFieldsEntry{{Manager: apply.FieldManager, Operation: metav1.ManagedFieldsOperationApply,
		FieldsType: digestFields, FieldsV1: &metav1.FieldsV1{Raw: []byte(digest)}}}
	if len(t.digests) >= intern.Limit || t.digests == nil {
		t.digests = make(map[string][]metav1.ManagedFieldsEntry, 256)
	}
	t.digests[digest] = e
	return e
}

func (t *sharedMeta) string(s string) string { return t.strings.String(s) }

// labels returns the table's map equal to labels.
func (t *sharedMeta) labels(labels map[string]string) map[string]string {
	if len(labels) == 0 {
		return nil
	}
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		// Neither a key nor a value holds a NUL: it cannot be ambiguous.
		b.WriteString(k)
		b.WriteByte(0)
		b.WriteString(labels[k])
		b.WriteByte(0)
	}
	id := b.String()
	if c, ok := t.maps[id]; ok {
		return c
	}
	c := make(map[string]string, len(labels))
	for k, v := range labels {
		c[t.string(k)] = t.string(v)
	}
	if len(t.maps) >= intern.Limit || t.maps == nil {
		t.maps = make(map[string]map[string]string, 256)
	}
	t.maps[id] = c
	return c
}

// annotations returns a copy of annotations without kubectl's copy of the
// object, its keys and values shared. The tracking-id names the
// object itself: no other object shares it.
func (t *sharedMeta) annotations(annotations map[string]string) map[string]string {
	n := len(annotations)
	if _, ok := annotations[lastApplied]; ok {
		n--
	}
	if n <= 0 {
		return nil
	}
	c := make(map[string]string, n)
	for k, v := range annotations {
		switch {
		case k == lastApplied:
		case k == v1alpha1.AnnotationTrackingID:
			c[t.string(k)] = v
		default:
			c[t.string(k)] = t.string(v)
		}
	}
	return c
}
