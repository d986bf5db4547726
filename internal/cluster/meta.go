package cluster

import (
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
type Meta struct {
	Name, Namespace string
	UID             types.UID
	ResourceVersion string
	Generation      int64
	// DeletionTimestamp is set once the object is being deleted.
	DeletionTimestamp *metav1.Time
	// Labels may be shared with other objects.
	Labels map[string]string
	// TrackingID is the value of the tracking-id annotation, "" when the
	// object has none.
	TrackingID string
	// Applied is the value of capstan's stamp (v1alpha1.AnnotationCapstanApplied),
	// "" when the object has none.
	Applied string
	// OwnedFields is the digest of the fields capstan's server-side apply
	// owns on the object (apply.OwnedFields), "" when unknown: the watch
	// tells, without a read, whether another writer took one of them.
	OwnedFields string
	// others are the annotations but the two above and kubectl's copy of
	// the object, shared.
	others map[string]string
}

// Annotation returns the value of the annotation key, and whether the
// object has it.
func (m *Meta) Annotation(key string) (string, bool) {
	switch key {
	case v1alpha1.AnnotationTrackingID:
		return m.TrackingID, m.TrackingID != ""
	case v1alpha1.AnnotationCapstanApplied:
		return m.Applied, m.Applied != ""
	}
	v, ok := m.others[key]
	return v, ok
}

// Annotations returns a new map of the object's annotations (but
// kubectl's copy of the object, which the cache does not keep); nil when
// it has none.
func (m *Meta) Annotations() map[string]string {
	n := len(m.others)
	for _, v := range [...]string{m.TrackingID, m.Applied} {
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
	if m.Applied != "" {
		out[v1alpha1.AnnotationCapstanApplied] = m.Applied
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
	u.SetUID(m.UID)
	u.SetResourceVersion(m.ResourceVersion)
	u.SetAnnotations(m.Annotations())
	u.SetLabels(m.Labels)
	return u
}

// Meta is a metav1.Object so that a cache can key and index it. What it
// does not keep reads as empty; a cached Meta is never set, and setting
// what it does not keep does nothing.
var _ metav1.Object = (*Meta)(nil)

func (m *Meta) GetNamespace() string                { return m.Namespace }
func (m *Meta) SetNamespace(namespace string)       { m.Namespace = namespace }
func (m *Meta) GetName() string                     { return m.Name }
func (m *Meta) SetName(name string)                 { m.Name = name }
func (m *Meta) GetGenerateName() string             { return "" }
func (m *Meta) SetGenerateName(string)              {}
func (m *Meta) GetUID() types.UID                   { return m.UID }
func (m *Meta) SetUID(uid types.UID)                { m.UID = uid }
func (m *Meta) GetResourceVersion() string          { return m.ResourceVersion }
func (m *Meta) SetResourceVersion(version string)   { m.ResourceVersion = version }
func (m *Meta) GetGeneration() int64                { return m.Generation }
func (m *Meta) SetGeneration(generation int64)      { m.Generation = generation }
func (m *Meta) GetSelfLink() string                 { return "" }
func (m *Meta) SetSelfLink(string)                  {}
func (m *Meta) GetCreationTimestamp() metav1.Time   { return metav1.Time{} }
func (m *Meta) SetCreationTimestamp(metav1.Time)    {}
func (m *Meta) GetDeletionTimestamp() *metav1.Time  { return m.DeletionTimestamp }
func (m *Meta) SetDeletionTimestamp(t *metav1.Time) { m.DeletionTimestamp = t }
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
	m.TrackingID, m.Applied, m.others = "", "", nil
	for k, v := range annotations {
		switch k {
		case lastApplied:
		case v1alpha1.AnnotationTrackingID:
			m.TrackingID = v
		case v1alpha1.AnnotationCapstanApplied:
			m.Applied = v
		default:
			if m.others == nil {
				m.others = map[string]string{}
			}
			m.others[k] = v
		}
	}
}
