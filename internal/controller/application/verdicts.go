package application

import (
	"crypto/sha256"
	gosync "sync"

	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/internal/cluster"
)

// verdicts are kept per Application and object, across reconciles, in
// memory only. Each complete comparison keeps only the objects it saw, so
// what an Application no longer renders, or an Application that is gone,
// costs nothing.
//
// They are held for every managed object for as long as the controller
// runs, so they are kept small (docs/performance.md, "W2 at 7be6506"): an
// Application's verdicts are a slice while it has few objects, and the
// digests and uids are held as bytes, not as strings of their own. An
// object's key names it within its Application's destination, which its
// verdicts record once, not in every key.
type verdicts struct {
	mu gosync.Mutex
	m  map[string]*appVerdicts
}

// get returns the verdict on the object of key of Application app in the
// cluster of server: none when the verdicts were concluded in another.
func (v *verdicts) get(app, server, key string) (verdict, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	a := v.m[app]
	if a == nil || a.server != server {
		return verdict{}, false
	}
	return a.get(keyDigestOf(key))
}

// put keeps the verdict on the object of key of Application app in the
// cluster of server. A verdict in another cluster than the Application's
// others drops them: its destination moved.
func (v *verdicts) put(app, server, key string, e verdict) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil {
		v.m = map[string]*appVerdicts{}
	}
	a := v.m[app]
	if a == nil || a.server != server {
		a = &appVerdicts{server: server}
		v.m[app] = a
	}
	a.put(keyDigestOf(key), e)
}

func (v *verdicts) forget(app, key string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m[app].forget(keyDigestOf(key))
}

// retain drops the Application's verdicts on objects not in keep; a nil
// keep drops them all.
func (v *verdicts) retain(app string, keep map[string]bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	a := v.m[app]
	if a == nil {
		return
	}
	kept := make(map[keyDigest]bool, len(keep))
	for k, ok := range keep {
		if ok {
			kept[keyDigestOf(k)] = true
		}
	}
	a.retain(kept)
	if a.len() == 0 {
		delete(v.m, app)
	}
}

// fewVerdicts is how many verdicts an Application keeps in a slice, searched
// in order, before they move to a map. Most Applications have a handful of
// objects, for which a map's table (room for eight) is mostly empty; a
// search through sixteen keys costs less than hashing one.
const fewVerdicts = 16

// appVerdicts are one Application's verdicts by the digest of their
// object's key: in few while they are fewVerdicts at most, in many after
// that. A nil *appVerdicts holds none.
type appVerdicts struct {
	// server is the URL of the API server of the objects.
	server string
	few    []keyedVerdict
	many   map[keyDigest]verdict
}

type keyedVerdict struct {
	key keyDigest
	verdict
}

// keyDigest is an object's key (objectKey) as its verdict keeps it: the
// first 16 bytes of its SHA-256. As a string of its own, each key took
// some 48 bytes of heap for every managed object; two keys share the
// bytes with a chance of 2^-128.
type keyDigest [16]byte

func keyDigestOf(key string) keyDigest {
	sum := sha256.Sum256([]byte(key))
	return keyDigest(sum[:16])
}

func (a *appVerdicts) get(key keyDigest) (verdict, bool) {
	if a == nil {
		return verdict{}, false
	}
	if a.many != nil {
		e, ok := a.many[key]
		return e, ok
	}
	for i := range a.few {
		if a.few[i].key == key {
			return a.few[i].verdict, true
		}
	}
	return verdict{}, false
}

func (a *appVerdicts) put(key keyDigest, e verdict) {
	if a.many != nil {
		a.many[key] = e
		return
	}
	for i := range a.few {
		if a.few[i].key == key {
			a.few[i].verdict = e
			return
		}
	}
	if len(a.few) < cap(a.few) {
		a.few = append(a.few, keyedVerdict{key, e})
		return
	}
	if len(a.few) < fewVerdicts {
		// One more each time, not append's doubling: the slice is
		// held for as long as the Application, and its objects are
		// seldom added after the first comparison.
		few := make([]keyedVerdict, len(a.few)+1)
		copy(few, a.few)
		few[len(a.few)] = keyedVerdict{key, e}
		a.few = few
		return
	}
	a.many = make(map[keyDigest]verdict, 2*fewVerdicts)
	for _, kv := range a.few {
		a.many[kv.key] = kv.verdict
	}
	a.many[key] = e
	a.few = nil
}

func (a *appVerdicts) forget(key keyDigest) {
	if a != nil && a.many != nil {
		delete(a.many, key)
		return
	}
	a.retainIf(func(k keyDigest) bool { return k != key })
}

func (a *appVerdicts) retain(keep map[keyDigest]bool) {
	a.retainIf(func(k keyDigest) bool { return keep[k] })
}

// retainIf keeps the verdicts whose key keep accepts. The slice keeps its
// room for the next put: an Application's objects come and go by a few.
func (a *appVerdicts) retainIf(keep func(key keyDigest) bool) {
	if a == nil {
		return
	}
	if a.many != nil {
		for k := range a.many {
			if !keep(k) {
				delete(a.many, k)
			}
		}
		return
	}
	kept := a.few[:0]
	for _, kv := range a.few {
		if keep(kv.key) {
			kept = append(kept, kv)
		}
	}
	clear(a.few[len(kept):])
	a.few = kept
}

func (a *appVerdicts) len() int {
	if a == nil {
		return 0
	}
	if a.many != nil {
		return len(a.many)
	}
	return len(a.few)
}

// each calls f with every verdict and the digest of its key.
func (a *appVerdicts) each(f func(key keyDigest, v verdict)) {
	if a == nil {
		return
	}
	if a.many != nil {
		for k, v := range a.many {
			f(k, v)
		}
		return
	}
	for _, kv := range a.few {
		f(kv.key, kv.verdict)
	}
}

// hashDigest identifies the desired object's hash (hashObject's, with the
// comparison's key: 80 hexadecimal digits) by the first 16 bytes of the
// hash's SHA-256: all a verdict asks of it is whether a later comparison's
// hash is the same one. Two hashes that differ share those bytes with a
// chance of 2^-128, and 16 bytes are a fifth of what the hash held as a
// string took (docs/performance.md, "2026-12-04 night").
type hashDigest [16]byte

// digestOf is s as a hashDigest.
func digestOf(s string) hashDigest {
	// A hash is 80 bytes: copied to the stack, it is hashed without an
	// allocation, and `is` runs on every object of every comparison.
	var buf [96]byte
	sum := sha256.Sum256(append(buf[:0], s...))
	return hashDigest(sum[:16])
}

// is reports whether d is the digest of s.
func (d hashDigest) is(s string) bool { return d == digestOf(s) }

// uidDigest is an object's uid as a verdict keeps it: the 16 bytes of the
// UUID the API server gives every object, written as it writes them
// (lower-case, with dashes), or for any other uid (a test's) the first 16
// bytes of its SHA-256. Only one spelling of a UUID is read as its
// bytes, so two uids that differ have different digests, as the strings
// compared before. As a string, a uid takes 48 bytes of heap besides its
// header.
type uidDigest [16]byte

func digestUID(uid types.UID) uidDigest {
	if u, ok := cluster.UUIDBytes(uid); ok {
		return uidDigest(u)
	}
	sum := sha256.Sum256([]byte(uid))
	return uidDigest(sum[:16])
}
