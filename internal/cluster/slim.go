package cluster

import (
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/intern"
)

// lastApplied is kubectl's copy of the whole object in an annotation.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// slim makes the copy of a watched object's metadata that the cache keeps,
// a Meta: without what capstan never reads from memory and what makes up
// most of its size (kubectl's copy of the object, and the managed fields,
// of which it keeps only the digest of what capstan's apply owns: see
// Meta.OwnedFields), and sharing what objects have in common. Decoded,
// each object holds its own copy of every string and its own maps of
// labels and annotations, although thousands of objects carry the same
// namespace, the same label and annotation keys, and often the same
// labels: the copy takes those from a table instead, so memory grows with
// what is particular to each object. An informer may run its transform
// twice on one object (it does on the objects of its first list): a Meta,
// like anything but a PartialObjectMetadata, passes as it is.
//
// A cached object is never modified (the informer's rule): a map of labels
// shared by many objects is safe there.
func slim(obj any) (any, error) {
	if m, ok := obj.(*metav1.PartialObjectMetadata); ok {
		return shared.meta(&m.ObjectMeta), nil
	}
	return obj, nil
}

// shared is the table of strings, maps of labels and of annotations, and
// digests that slimmed objects share, across clusters and kinds.
var shared = &sharedMeta{}

// sharedMeta holds one copy of each string, map and digest seen. Like its
// strings, its maps are bounded: at intern.Limit it starts afresh.
type sharedMeta struct {
	mu      sync.Mutex
	strings intern.Table
	maps    map[string]map[string]string
	// digests holds each digest of capstan's fields: objects of the same
	// shape share it.
	digests map[string]string
}

// MetaOf is the Meta a watch's cache keeps of an object whose metadata is
// o.
func MetaOf(o *metav1.ObjectMeta) *Meta { return shared.meta(o) }

// meta is the Meta kept of o.
func (t *sharedMeta) meta(o *metav1.ObjectMeta) *Meta {
	owned := apply.OwnedFields(o.ManagedFields)
	t.mu.Lock()
	defer t.mu.Unlock()
	m := &Meta{
		Name:            o.Name,
		Namespace:       t.string(o.Namespace),
		ResourceVersion: o.ResourceVersion,
		Generation:      o.Generation,
		Labels:          t.share(o.Labels),
		TrackingID:      o.Annotations[v1alpha1.AnnotationTrackingID],
		OwnedFields:     t.digest(owned),
		others:          t.share(o.Annotations, v1alpha1.AnnotationTrackingID, v1alpha1.AnnotationCapstanApplied),
	}
	m.SetUID(o.UID)
	m.SetDeletionTimestamp(o.DeletionTimestamp)
	m.setApplied(o.Annotations[v1alpha1.AnnotationCapstanApplied])
	return m
}

// ShareDigest returns the copy of d, a digest of capstan's fields
// (apply.OwnedFields), that the watches' Metas share: what holds one for
// each managed object (a verdict) then holds no copy of its own.
func ShareDigest(d string) string {
	shared.mu.Lock()
	defer shared.mu.Unlock()
	return shared.digest(d)
}

// digest returns the table's copy of a digest of capstan's fields.
func (t *sharedMeta) digest(d string) string {
	if d == "" {
		return ""
	}
	if c, ok := t.digests[d]; ok {
		return c
	}
	if len(t.digests) >= intern.Limit || t.digests == nil {
		t.digests = make(map[string]string, 256)
	}
	t.digests[d] = d
	return d
}

func (t *sharedMeta) string(s string) string { return t.strings.String(s) }

// share returns the table's map equal to m without the keys skip and
// kubectl's copy of the object; nil when that leaves nothing.
func (t *sharedMeta) share(m map[string]string, skip ...string) map[string]string {
	kept := func(k string) bool { return k != lastApplied && !slices.Contains(skip, k) }
	var b strings.Builder
	n := 0
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !kept(k) {
			continue
		}
		// Each key and value after its length: an annotation's value
		// may hold any byte, and two maps must not make one id.
		for _, s := range [2]string{k, m[k]} {
			b.WriteString(strconv.Itoa(len(s)))
			b.WriteByte(':')
			b.WriteString(s)
		}
		n++
	}
	if n == 0 {
		return nil
	}
	id := b.String()
	if c, ok := t.maps[id]; ok {
		return c
	}
	c := make(map[string]string, n)
	for k, v := range m {
		if kept(k) {
			c[t.string(k)] = t.string(v)
		}
	}
	if len(t.maps) >= intern.Limit || t.maps == nil {
		t.maps = make(map[string]map[string]string, 256)
	}
	t.maps[id] = c
	return c
}
