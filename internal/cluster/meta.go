package cluster

import (
	"encoding/hex"

	"github.com/google/uuid"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Meta is what the watch's cache keeps of a managed object: the metadata
// capstan reads from memory, and nothing else. Of its annotations, the
// two that capstan sets and that differ on every object (the tracking-id
// names the object, capstan's stamp digests it) are fields of their own;
// the others are a map shared with every object that has the same (see
// slim). A cached Meta is never modified.
//
// A Meta is held for every watched object, so it keeps the uid and the
// stamp, which the API server and capstan write in hex, as the 16 bytes
// they spell: as strings of their own they would take 80 bytes more.
// Values of any other form are kept as they are, in rare.
type Meta struct {
	Name, Namespace string
	ResourceVersion string
	Generation      int64
	// Labels may be shared with other objects.
	Labels map[string]string
	// TrackingID is the value of the tracking-id annotation, "" when the
	// object has none.
	TrackingID string
	// OwnedFields is the digest of the fields capstan's server-side apply
	// owns on the object (apply.OwnedFields), "" when unknown: the watch
	// tells, without a read, whether another writer took one of them.
	OwnedFields string
	// uid is the object's uid, a UUID, and applied the value of capstan's
	// stamp (v1alpha1.AnnotationCapstanApplied), a digest: zero when the
	// object has none, or one of another form.
	uid, applied [16]byte
	// others are the annotations but the two above and kubectl's copy of
	// the object, shared.
	others map[string]string
	// rare holds what few objects have; nil for most.
	rare *metaRare
}

// metaRare is what a Meta seldom holds: a deletion time, and a uid or a
// stamp not in the form the API server and capstan write them.
type metaRare struct {
	deletion *metav1.Time
	uid      types.UID
	applied  string
}

// rareOf returns m's rare fields, made if it has none yet.
func (m *Meta) rareOf() *metaRare {
	if m.rare == nil {
		m.rare = &metaRare{}
	}
	return m.rare
}

// setApplied keeps v as the value of capstan's stamp.
func (m *Meta) setApplied(v string) {
	m.applied = [16]byte{}
	if m.rare != nil {
		m.rare.applied = ""
	}
	if b, ok := parseDigest(v); ok {
		m.applied = b
	} else if v != "" {
		m.rareOf().applied = v
	}
}

// stamp returns the value of capstan's stamp, "" when the object has
// none.
func (m *Meta) stamp() string {
	if m.applied != ([16]byte{}) {
		return hex.EncodeToString(m.applied[:])
	}
	if m.rare != nil {
		return m.rare.applied
	}
	return ""
}

// parseDigest returns the 16 bytes that v spells in lower-case hex, as
// capstan writes its stamp; false for any other value, and for zero bytes,
// which stand for none.
func parseDigest(v string) ([16]byte, bool) {
	var b [16]byte
	if len(v) != 32 || !lowerHex(v) {
		return b, false
	}
	if _, err := hex.Decode(b[:], []byte(v)); err != nil {
		return b, false
	}
	return b, b != [16]byte{}
}

// UUIDBytes returns the 16 bytes of the UUID uid when it is written as
// the API server writes it: 36 characters, lower-case hex digits and
// dashes. Only that spelling is read as bytes, so two uids that differ
// as strings never give the same bytes.
func UUIDBytes(uid types.UID) ([16]byte, bool) {
	s := string(uid)
	if len(s) != 36 {
		return [16]byte{}, false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && c != '-' {
			return [16]byte{}, false
		}
	}
	u, err := uuid.Parse(s)
	return u, err == nil
}

// parseUID returns the bytes a Meta keeps of uid (UUIDBytes); false for
// any other uid, and for the nil UUID, whose zero bytes stand for none.
func parseUID(uid types.UID) ([16]byte, bool) {
	b, ok := UUIDBytes(uid)
	return b, ok && b != [16]byte{}
}

// UIDBytes returns the 16 bytes of the object's uid when it is a UUID in
// the form the API server writes (lower-case, with dashes), and false
// for any other uid, or none.
func (m *Meta) UIDBytes() ([16]byte, bool) { return m.uid, m.uid != [16]byte{} }

// sameUID reports whether m and o have the same uid.
func (m *Meta) sameUID(o *Meta) bool {
	if m.uid != ([16]byte{}) || o.uid != ([16]byte{}) {
		return m.uid == o.uid
	}
	return m.GetUID() == o.GetUID()
}

// formatUID spells the 16 bytes of a UUID in its canonical form.
func formatUID(b [16]byte) types.UID {
	var buf [36]byte
	hex.Encode(buf[0:8], b[0:4])
	buf[8] = '-'
	hex.Encode(buf[9:13], b[4:6])
	buf[13] = '-'
	hex.Encode(buf[14:18], b[6:8])
	buf[18] = '-'
	hex.Encode(buf[19:23], b[8:10])
	buf[23] = '-'
	hex.Encode(buf[24:], b[10:])
	return types.UID(buf[:])
}

func lowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Annotation returns the value of the annotation key, and whether the
// object has it.
func (m *Meta) Annotation(key string) (string, bool) {
	switch key {
	case v1alpha1.AnnotationTrackingID:
		return m.TrackingID, m.TrackingID != ""
	case v1alpha1.AnnotationCapstanApplied:
		v := m.stamp()
		return v, v != ""
	}
	v, ok := m.others[key]
	return v, ok
}

// Annotations returns a new map of the object's annotations (but
// kubectl's copy of the object, which the cache does not keep); nil when
// it has none.
func (m *Meta) Annotations() map[string]string {
	stamp := m.stamp()
	n := len(m.others)
	for _, v := range [...]string{m.TrackingID, stamp} {
		if v != "" {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make(map[string]string, n)
	for k, v := range m.others {
		out[k] = v
	}
	if m.TrackingID != "" {
		out[v1alpha1.AnnotationTrackingID] = m.TrackingID
	}
	if stamp != "" {
		out[v1alpha1.AnnotationCapstanApplied] = stamp
	}
	return out
}

// Object is the object of that kind known by its metadata alone: enough to
// name, track and delete it.
func (m *Meta) Object(apiVersion, kind string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion(apiVersion)
	u.SetKind(kind)
	u.SetNamespace(m.Namespace)
	u.SetName(m.Name)
	u.SetUID(m.GetUID())
	u.SetResourceVersion(m.ResourceVersion)
	u.SetAnnotations(m.Annotations())
	u.SetLabels(m.Labels)
	return u
}

// Meta is a metav1.Object so that a cache can key and index it. What it
// does not keep reads as empty; a cached Meta is never set, and setting
// what it does not keep does nothing.
var _ metav1.Object = (*Meta)(nil)

func (m *Meta) GetNamespace() string          { return m.Namespace }
func (m *Meta) SetNamespace(namespace string) { m.Namespace = namespace }
func (m *Meta) GetName() string               { return m.Name }
func (m *Meta) SetName(name string)           { m.Name = name }
func (m *Meta) GetGenerateName() string       { return "" }
func (m *Meta) SetGenerateName(string)        {}
func (m *Meta) GetUID() types.UID {
	if m.uid != ([16]byte{}) {
		return formatUID(m.uid)
	}
	if m.rare != nil {
		return m.rare.uid
	}
	return ""
}
func (m *Meta) SetUID(uid types.UID) {
	m.uid = [16]byte{}
	if m.rare != nil {
		m.rare.uid = ""
	}
	if b, ok := parseUID(uid); ok {
		m.uid = b
	} else if uid != "" {
		m.rareOf().uid = uid
	}
}
func (m *Meta) GetResourceVersion() string        { return m.ResourceVersion }
func (m *Meta) SetResourceVersion(version string) { m.ResourceVersion = version }
func (m *Meta) GetGeneration() int64              { return m.Generation }
func (m *Meta) SetGeneration(generation int64)    { m.Generation = generation }
func (m *Meta) GetSelfLink() string               { return "" }
func (m *Meta) SetSelfLink(string)                {}
func (m *Meta) GetCreationTimestamp() metav1.Time { return metav1.Time{} }
func (m *Meta) SetCreationTimestamp(metav1.Time)  {}
func (m *Meta) GetDeletionTimestamp() *metav1.Time {
	if m.rare == nil {
		return nil
	}
	return m.rare.deletion
}
func (m *Meta) SetDeletionTimestamp(t *metav1.Time) {
	if t != nil || m.rare != nil {
		m.rareOf().deletion = t
	}
}
func (m *Meta) GetDeletionGracePeriodSeconds() *int64 {
	return nil
}
func (m *Meta) SetDeletionGracePeriodSeconds(*int64) {}
func (m *Meta) GetLabels() map[string]string         { return m.Labels }
func (m *Meta) SetLabels(labels map[string]string)   { m.Labels = labels }
func (m *Meta) GetAnnotations() map[string]string    { return m.Annotations() }
func (m *Meta) GetFinalizers() []string              { return nil }
func (m *Meta) SetFinalizers([]string)               {}
func (m *Meta) GetOwnerReferences() []metav1.OwnerReference {
	return nil
}
func (m *Meta) SetOwnerReferences([]metav1.OwnerReference)    {}
func (m *Meta) GetManagedFields() []metav1.ManagedFieldsEntry { return nil }
func (m *Meta) SetManagedFields([]metav1.ManagedFieldsEntry)  {}

// SetAnnotations keeps annotations as a cached object does: the
// tracking-id and capstan's stamp apart, the others in a map of their
// own.
func (m *Meta) SetAnnotations(annotations map[string]string) {
	m.TrackingID, m.others = "", nil
	m.setApplied("")
	for k, v := range annotations {
		switch k {
		case lastApplied:
		case v1alpha1.AnnotationTrackingID:
			m.TrackingID = v
		case v1alpha1.AnnotationCapstanApplied:
			m.setApplied(v)
		default:
			if m.others == nil {
				m.others = map[string]string{}
			}
			m.others[k] = v
		}
	}
}
