package application

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/resourceversion"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/jsonsum"
	"github.com/capstan-cd/capstan/internal/sync"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// verdict is what was last concluded about one object, valid while neither
// the desired object nor the live one's resourceVersion changes. It is what
// makes a reconcile with nothing changed cost no API call.
type verdict struct {
	// desiredHash is the desired object's hash with the comparison's key
	// (hashObject, state.compareKey).
	desiredHash     hashDigest
	resourceVersion string
	// uid, generation (for kinds that have one) and metadata (a digest
	// of the labels and annotations) identify the live object the verdict
	// was concluded on: while they stay, only its status changed, and the
	// verdict on the rest holds. The object's metadata itself is in the
	// watch cache, not kept twice.
	uid        uidDigest
	generation int64
	metadata   [8]byte
	modified   bool
	shared     bool
	// labelled: the object carried capstan's managed label, which its
	// watch selects.
	labelled bool
	// whole: the comparison saw the whole desired object (diff.Whole),
	// and compareKey names the comparison's key (state.compareKey) it was
	// made under: writesWithoutLooking asks both.
	whole      bool
	compareKey compareTag
	health     *health.Status
	// owned digests the fields capstan owned on the object right after
	// it applied the desired one (ownedFields), "" when unknown.
	owned string
}

// compareTag names a comparison's key (state.compareKey) by its first
// four bytes: two keys that differ share them with a chance of 2^-32,
// and the tag takes room the verdict's fields leave unused.
type compareTag [4]byte

// tagOf is the tag of a comparison's key.
func tagOf(key string) (tag compareTag) {
	_, _ = hex.Decode(tag[:], []byte(key[:min(len(key), 2*len(tag))]))
	return tag
}

// appKey names an Application in the controller's memory.
func appKey(app *v1alpha1.Application) string { return app.Namespace + "/" + app.Name }

// objectKey names an object within its Application's destination.
func objectKey(gvk schema.GroupVersionKind, ns, name string) string {
	return gvk.Group + "/" + gvk.Kind + "|" + ns + "/" + name
}

// verdictOn returns the verdict on the object of key of the pass's
// Application.
func (r *Reconciler) verdictOn(st *state, key string) (verdict, bool) {
	return r.verdicts.get(appKey(st.app), st.server(), key)
}

// server is the URL of the API server of the pass's destination, "" until
// the pass has resolved it.
func (st *state) server() string {
	if st.target == nil || st.target.cluster == nil {
		return ""
	}
	return st.target.cluster.Server
}

// hashObject is the SHA-256 of obj's JSON (of nothing, should obj not
// encode), in hexadecimal.
func hashObject(obj *unstructured.Unstructured) string {
	sum, err := jsonsum.Sum256(obj.Object)
	if err != nil {
		sum = sha256.Sum256(nil)
	}
	return hex.EncodeToString(sum[:])
}

// compare finds, for each desired object, whether the live one differs, and
// which live objects of the Application the render no longer has.
func (r *Reconciler) compare(ctx context.Context, st *state) error {
	st.unknownKinds = false
	ignore := append(slices.Clone(st.settings.IgnoreDifferences), st.app.Spec.IgnoreDifferences...)
	ign, err := diff.NewIgnorer(ignore)
	if err != nil {
		return err
	}
	ign = ign.WithOptions(st.settings.Compare)
	st.ignorer = ign
	rules, _ := json.Marshal(ignore)
	sum := sha256.Sum256(append([]byte(string(st.policy.Method)+"\n"+st.policy.Label()+"\n"+st.settings.CustomizationKey()+"\n"), rules...))
	st.compareKey = hex.EncodeToString(sum[:8])
	wanted := map[string]bool{}
	var resources []*resource
	for _, obj := range st.desired {
		// Hooks are desired too (never extraneous), but they run rather
		// than stay in sync, so they are not compared.
		wanted[objectKey(obj.GroupVersionKind(), obj.GetNamespace(), obj.GetName())] = true
		if sync.HookOf(obj).IsHook {
			continue
		}
		res, err := r.compareOne(ctx, st, obj, ign)
		if err != nil {
			return err
		}
		resources = append(resources, res)
	}
	extraneous, err := r.extraneous(ctx, st, wanted)
	if err != nil {
		return err
	}
	// Only a complete comparison replaces the last one.
	st.resources = append(resources, extraneous...)
	r.verdicts.retain(appKey(st.app), wanted)
	st.synced = inSync(st.resources) && !namespaceMetadataMoved(st.app)
	return nil
}

// plainFor reports whether the pass compares the desired object obj value
// for value: no ignoreDifferences rule applies to it, neither the
// Application's nor the settings', and the comparison options read no
// field of its kind otherwise (diff.Options.ValueForValue: under
// knownTypeFields "1000m" and "1" CPU are one value, so another writer's
// change of one to the other is no drift).
func (st *state) plainFor(obj *unstructured.Unstructured) bool {
	return !st.ignorer.Applies(obj) && st.settings.Compare.ValueForValue(obj.GroupVersionKind().GroupKind())
}

// inSync reports whether every compared object is as desired.
func inSync(resources []*resource) bool {
	for _, res := range resources {
		if res.modified || res.live == nil || (res.extraneous && !ignoreExtraneous(res.live)) {
			return false
		}
	}
	return true
}

func (r *Reconciler) compareOne(ctx context.Context, st *state, obj *unstructured.Unstructured, ign *diff.Ignorer) (*resource, error) {
	t := st.target
	gvk := obj.GroupVersionKind()
	res := &resource{desired: obj}
	m, err := t.applier.Mapping(gvk)
	if err != nil {
		// The kind does not exist yet (its CRD is part of this sync, or
		// yet to come).
		st.unknownKinds = true
		res.modified = true
		return res, nil
	}
	if err := t.live.Watch(ctx, m.Resource, gvk, namespaced(m)); err != nil {
		return nil, err
	}
	key := objectKey(gvk, obj.GetNamespace(), obj.GetName())
	h := hashObject(obj) + st.compareKey
	res.hash = h
	meta, watched := t.live.Get(m.Resource, obj.GetNamespace(), obj.GetName())
	v, ok := r.verdictOn(st, key)
	if !ok && watched {
		r.restore(st, obj, key, h, meta)
	}
	if ok && !watched && v.labelled && (v.desiredHash.is(h) || (!v.shared && writesWithoutLooking(st, v, obj))) {
		// capstan applied or read the object, with the label its watch
		// selects: the watch may not have brought it yet (its creation
		// by this very sync, on a busy API server). When memory would
		// then answer, waiting for it costs no request; a read does.
		meta, watched = st.awaitWatch(ctx, m.Resource, obj, v.resourceVersion)
	}
	if ok && watched && digestMetaUID(meta) == v.uid && known(meta.ResourceVersion, v.resourceVersion) {
		switch {
		case v.desiredHash.is(h):
			res.live, res.modified, res.health, res.shared = metadataObject(gvk, meta), v.modified, v.health, v.shared
		case !v.shared && writesWithoutLooking(st, v, obj):
			// Only the manifest changed, in a part the comparison sees,
			// and the sync will apply this object whatever a dry run
			// would say: it is not read first.
			res.live, res.modified, res.health = metadataObject(gvk, meta), true, v.health
		}
		if res.live != nil {
			if res.shared {
				st.sharedWarning(obj)
			}
			return res, nil
		}
	}
	if watched {
		if res, ok, err := r.followStatus(st, obj, m.Resource, key, h, meta); ok || err != nil {
			return res, err
		}
		if res, ok, err := r.followOwnership(st, obj, m.Resource, key, h, meta); ok || err != nil {
			return res, err
		}
	}
	if !watched && m.Scope.Name() == apimeta.RESTScopeNameNamespace {
		// Nothing can be in a namespace that does not exist: one read of
		// the namespace answers for all of a new Application's objects.
		exists, err := st.namespaceExists(ctx, obj.GetNamespace())
		if err != nil {
			return nil, err
		}
		if !exists {
			res.modified = true
			r.verdicts.forget(appKey(st.app), key)
			return res, nil
		}
	}
	live, err := t.applier.Get(ctx, obj)
	if err != nil {
		return nil, err
	}
	res.live = live
	if live == nil {
		res.modified = true
		r.verdicts.forget(appKey(st.app), key)
		return res, nil
	}
	if owner, ok := tracking.Owner(live, st.policy); ok && owner != st.app.Name {
		res.shared = true
		st.sharedWarning(obj)
	}
	adoptable := unlabelled(live) && st.app.Spec.SyncPolicy.IsAutomatedSyncEnabled()
	if v, ok := r.verdictOn(st, key); ok && v.desiredHash.is(h) && !adoptable {
		// A workload's status moved on (a rollout, a replica ready): the
		// verdict holds. Or another writer changed the object: whether it
		// took one of capstan's fields away says whether it drifted. Either
		// way the health is read afresh, and no dry run is needed.
		owned, known := keepOwned(v, live), onlyStatusChanged(v, obj, live)
		res.modified = v.modified
		if !known && !res.shared && ownershipDecides(v, obj, digestUID(live.GetUID()), ownedFields(live), st.plainFor(obj)) {
			known, res.modified = true, owned == ""
		}
		if known {
			if res.health, err = st.assess(live); err != nil {
				return nil, err
			}
			r.remember(st, key, h, live, res, owned)
			return res, nil
		}
	}
	if !adoptable && !res.shared && asApplied(obj, live) {
		// Still as capstan's apply of this very object left it (a
		// controller that has just started knows no verdict): in sync,
		// without a dry run. capstan's apply owns all of it: what it owns
		// tells from now on whether another writer changed it.
		if res.health, err = st.assess(live); err != nil {
			return nil, err
		}
		r.remember(st, key, h, live, res, ownedFields(live))
		return res, nil
	}
	predicted, err := t.applier.Apply(ctx, obj, apply.Options{DryRun: true, Validate: false})
	if err != nil {
		// The dry run failed (an invalid object, an admission refusal):
		// the sync will show the error; the object is out of sync.
		res.modified = true
		return res, nil
	}
	d, err := diff.Compare(ctx, predicted, live, ign)
	if err != nil {
		return nil, err
	}
	res.modified = d.Modified
	res.health, err = st.assess(live)
	if err != nil {
		return nil, err
	}
	if res.modified && !res.shared && unlabelled(live) {
		adopted, err := r.adopt(ctx, st, predicted, live, ign)
		if err != nil {
			return nil, err
		}
		if adopted != nil {
			res.modified, live = false, adopted
		}
	}
	r.remember(st, key, h, live, res, "")
	return res, nil
}

// followStatus concludes, without reading it, on an object whose watched
// version moved in its status alone (a Deployment rolling out): the watch
// keeps what its health check reads (cluster.Live.HealthView), the
// verdict holds, and the health is assessed afresh. ok is false when
// memory cannot tell: a kind whose status is not watched or whose
// generation does not follow its spec (a Service), a custom health
// check (it may read any field), a change of generation, uid or of the
// labels and annotations capstan sets, or a view of another version than
// the cached metadata.
func (r *Reconciler) followStatus(st *state, desired *unstructured.Unstructured, gvr schema.GroupVersionResource, key, desiredHash string,
	meta *cluster.Meta) (res *resource, ok bool, err error) {
	gvk := desired.GroupVersionKind()
	v, found := r.verdictOn(st, key)
	if !found || !v.desiredHash.is(desiredHash) || v.shared || st.settings.Health.Has(gvk.GroupKind()) || !generationFollowsSpec(gvk.GroupKind()) {
		return nil, false, nil
	}
	view, found := st.target.live.HealthView(gvr, meta.Namespace, meta.Name, meta.ResourceVersion)
	if !found {
		return nil, false, nil
	}
	live := metadataObject(gvk, meta)
	live.SetGeneration(meta.Generation)
	if !onlyStatusChanged(v, desired, live) {
		return nil, false, nil
	}
	res = &resource{desired: desired, live: live, modified: v.modified, hash: desiredHash}
	if res.health, err = st.assess(view); err != nil {
		return nil, false, err
	}
	// What capstan owns is kept from the verdict: a change of it that
	// moves neither the generation nor the metadata capstan sets changes
	// none of its values, and the next read compares it anew.
	r.remember(st, key, desiredHash, live, res, v.owned)
	return res, true, nil
}

// followOwnership concludes, from the watch alone, on an object another
// writer changed: what capstan owns on it decides (ownershipDecides), the
// watch keeps the digest of those fields (cluster.Meta.OwnedFields), so whether
// the writer took one of them away needs no read; nor does the health,
// for a kind without status or a workload whose health view the watch
// keeps. A drift then costs its heal's apply alone. ok is false when the
// object must be read.
func (r *Reconciler) followOwnership(st *state, desired *unstructured.Unstructured, gvr schema.GroupVersionResource, key, desiredHash string,
	meta *cluster.Meta) (res *resource, ok bool, err error) {
	gvk := desired.GroupVersionKind()
	v, found := r.verdictOn(st, key)
	owned := meta.OwnedFields
	if !found || !v.desiredHash.is(desiredHash) || !v.labelled || !ownershipDecides(v, desired, digestMetaUID(meta), owned, st.plainFor(desired)) {
		return nil, false, nil
	}
	live := metadataObject(gvk, meta)
	live.SetGeneration(meta.Generation)
	live.SetDeletionTimestamp(meta.GetDeletionTimestamp())
	if owner, ok := tracking.Owner(live, st.policy); unlabelled(live) || (ok && owner != st.app.Name) {
		return nil, false, nil
	}
	body := live
	switch gk := gvk.GroupKind(); {
	case st.settings.Health.Has(gk):
		return nil, false, nil
	case !health.FromMetadata(gk):
		view, found := st.target.live.HealthView(gvr, meta.Namespace, meta.Name, meta.ResourceVersion)
		if !found {
			return nil, false, nil
		}
		body = view
	}
	res = &resource{desired: desired, live: live, modified: owned != v.owned, hash: desiredHash}
	if res.health, err = st.assess(body); err != nil {
		return nil, false, err
	}
	if res.modified {
		owned = ""
	}
	r.remember(st, key, desiredHash, live, res, owned)
	return res, true, nil
}

// watchLag bounds how long a pass waits, all its objects together, for
// the watch to bring objects capstan has seen at a newer version than the
// watch has reached: a watch that is down (reconnecting, throttled) costs
// a pass at most that, and then reads.
const watchLag = 2 * time.Second

// awaitWatch is the watch's copy of obj once it has reached
// resourceVersion, within what is left of the pass's watchLag.
func (st *state) awaitWatch(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured, resourceVersion string) (*cluster.Meta, bool) {
	if st.watchWaitUntil.IsZero() {
		st.watchWaitUntil = time.Now().Add(watchLag)
	}
	patience := time.Until(st.watchWaitUntil)
	if patience <= 0 {
		return nil, false
	}
	return st.target.live.GetSince(ctx, gvr, obj.GetNamespace(), obj.GetName(), resourceVersion, patience)
}

// known reports whether the version of an object the watch cache holds is
// the one a verdict was concluded on or an older one of the same object
// (the caller compares uids): the cache has not caught up yet with what
// capstan read or wrote itself (the response of an apply, or of a read
// made for a newer change), and the verdict holds.
// Resource versions of one object compare as integers (Kubernetes 1.35);
// one that does not parse is only ever equal.
func known(cached, verdict string) bool {
	c, err := resourceversion.CompareResourceVersion(cached, verdict)
	if err != nil {
		return cached == verdict
	}
	return c <= 0
}

// writesWithoutLooking reports whether desired, whose manifest changed
// since v was concluded while the live object did not, can be taken as
// out of sync without a dry run: an automated sync of the new revision or
// sources is coming and will apply it anyway, and the change is one the
// comparison sees. It does not see a change of the comparison itself (new
// settings: v's key is not the pass's), nor one in a part it leaves out:
// a field an ignoreDifferences rule drops (the Application's or the
// settings'), a new spelling of a known type's value (plainFor), or a
// status or an uncompared annotation, in the old manifest or the new
// (diff.Whole). Such a change is left to a dry run, and where that finds
// no difference, the Application stays Synced and no sync writes it.
func writesWithoutLooking(st *state, v verdict, desired *unstructured.Unstructured) bool {
	return syncComing(st) && st.plainFor(desired) && v.compareKey == tagOf(st.compareKey) &&
		v.whole && diff.Whole(desired)
}

// asApplied reports whether live is as capstan's last apply of desired
// left it: it carries the digest of desired as applied now, and capstan's
// apply still owns every field of it. Whoever changed one of those fields
// since took it from capstan's apply (see diff.OwnsAll), so drift, even
// made while no controller ran, always fails the test. An object that
// carries no digest (a Secret) never passes it.
func asApplied(desired, live *unstructured.Unstructured) bool {
	stamped, ok := stampedOn(desired, live)
	return ok && diff.OwnsAll(stamped, live, apply.FieldManager)
}

// stampedOn is desired as capstan applies it, and whether live, not being
// deleted, carries its digest (apply.Stamp): capstan's last apply to it
// was of this very object.
func stampedOn(desired, live *unstructured.Unstructured) (*unstructured.Unstructured, bool) {
	if live.GetDeletionTimestamp() != nil {
		return nil, false
	}
	stamped := apply.Stamp(desired)
	digest := stamped.GetAnnotations()[v1alpha1.AnnotationCapstanApplied]
	return stamped, digest != "" && live.GetAnnotations()[v1alpha1.AnnotationCapstanApplied] == digest
}

// restore gives a controller that knows no verdict on an object the one
// its predecessor left in the Application's status (ResourceStatus's
// OwnedFields), when the watch shows the object as it was then: labelled
// and tracked for this Application, carrying the digest of desired as
// applied now, and with capstan's apply owning the same fields, all of
// them at the time. Nobody has changed one of those fields since (see
// apply.OwnedFields), so the object is in sync, and what the watch keeps
// tells the rest (followStatus, followOwnership): after a restart, an
// object whose health needs nothing but its metadata, or the health view
// the watch keeps, is not read. Anything else, a stale status among them,
// leaves no verdict, and the object is read as before. The status binds
// the owned fields to the desired object they were found for
// (boundOwned): a predecessor that applied a new render and stopped
// before it wrote the status left the owned fields of the old one, which
// another writer may since have made the new one's again by taking the
// new fields.
func (r *Reconciler) restore(st *state, desired *unstructured.Unstructured, key, desiredHash string, meta *cluster.Meta) {
	owned := meta.OwnedFields
	if owned == "" || st.persistedOwned(desired) != boundOwned(desiredHash, owned) {
		return
	}
	live := metadataObject(desired.GroupVersionKind(), meta)
	live.SetDeletionTimestamp(meta.GetDeletionTimestamp())
	if owner, ok := tracking.Owner(live, st.policy); unlabelled(live) || !ok || owner != st.app.Name {
		return
	}
	if _, ok := stampedOn(desired, live); !ok {
		return
	}
	r.verdicts.put(appKey(st.app), st.server(), key, verdict{desiredHash: digestOf(desiredHash), uid: digestMetaUID(meta), generation: meta.Generation,
		metadata: metadataDigest(desired, live), labelled: true, owned: owned, whole: diff.Whole(desired), compareKey: tagOf(st.compareKey)})
}

// persistedOwned is the OwnedFields the Application's status held for
// desired when the pass began, "" when none.
func (st *state) persistedOwned(desired *unstructured.Unstructured) string {
	if st.persisted == nil {
		st.persisted = map[string]string{}
		for _, rs := range st.app.Status.Resources {
			if rs.OwnedFields != "" {
				st.persisted[rs.Group+"/"+rs.Kind+"|"+rs.Namespace+"/"+rs.Name] = rs.OwnedFields
			}
		}
	}
	gvk := desired.GroupVersionKind()
	return st.persisted[gvk.Group+"/"+gvk.Kind+"|"+desired.GetNamespace()+"/"+desired.GetName()]
}

// statusOwned is what the status keeps of the fields capstan's apply owns
// on the live object of res (see restore): the verdict's, when it was
// concluded on res's desired object and holds that they cover it.
func (r *Reconciler) statusOwned(st *state, res *resource) string {
	if st.target == nil || res.desired == nil || res.hash == "" {
		return ""
	}
	d := res.desired
	key := objectKey(d.GroupVersionKind(), d.GetNamespace(), d.GetName())
	v, ok := r.verdictOn(st, key)
	if !ok || v.modified || v.shared || !v.desiredHash.is(res.hash) || v.owned == "" {
		return ""
	}
	return boundOwned(res.hash, v.owned)
}

// boundOwned is the digest the status keeps of owned, what capstan's
// apply owns on an object, found when its desired object hashed to
// desiredHash: a later controller restores the verdict only for the same
// desired object.
func boundOwned(desiredHash, owned string) string {
	sum := sha256.Sum256([]byte(desiredHash + "\n" + owned))
	return hex.EncodeToString(sum[:12])
}

// remember keeps the verdict on one object of this comparison; owned is
// what capstan owns on it (ownedFields) when that is known to cover the
// desired object.
func (r *Reconciler) remember(st *state, key, desiredHash string, live *unstructured.Unstructured, res *resource, owned string) {
	r.verdicts.put(appKey(st.app), st.server(), key, verdict{desiredHash: digestOf(desiredHash), resourceVersion: live.GetResourceVersion(), uid: digestUID(live.GetUID()),
		generation: live.GetGeneration(), metadata: metadataDigest(res.desired, live), modified: res.modified, shared: res.shared, health: res.health,
		owned: cluster.ShareDigest(owned), labelled: !unlabelled(live), whole: diff.Whole(res.desired), compareKey: tagOf(st.compareKey)})
}

// keepOwned is v's owned fields if capstan still owns the same on live,
// else "".
func keepOwned(v verdict, live *unstructured.Unstructured) string {
	if v.owned != "" && ownedFields(live) == v.owned {
		return v.owned
	}
	return ""
}

// generationFollowsSpec reports whether the API server moves gk's
// generation at each change of its spec, so that a version of the same
// generation changed in its status or metadata alone: the workloads of
// apps do. A Service's generation stays as created, 0 or whatever its
// manifest set, so a change of its spec is told by what capstan owns on
// it (followOwnership).
func generationFollowsSpec(gk schema.GroupKind) bool {
	return gk.Group == "apps"
}

// onlyStatusChanged reports whether live differs from what v was
// concluded on in its status alone: same object, same generation (which
// the API server moves on any change of the spec of the kinds of
// generationFollowsSpec), same labels and annotations. Other kinds never
// qualify: a Service keeps the generation it was created with, even one
// its manifest set, whatever another writer changes in its spec.
func onlyStatusChanged(v verdict, desired, live *unstructured.Unstructured) bool {
	return v.generation > 0 && generationFollowsSpec(desired.GroupVersionKind().GroupKind()) && live.GetGeneration() == v.generation &&
		digestUID(live.GetUID()) == v.uid && metadataDigest(desired, live) == v.metadata
}

// metadataDigest digests the live values of the labels and annotations
// the desired object sets. Those are the only ones that can make the
// object differ from it: another controller's annotation (a Deployment's
// revision, say) is no drift, and costs no dry run.
func metadataDigest(desired, live *unstructured.Unstructured) (sum [8]byte) {
	h := sha256.New()
	for _, pair := range [][2]map[string]string{{desired.GetLabels(), live.GetLabels()}, {desired.GetAnnotations(), live.GetAnnotations()}} {
		want, got := pair[0], pair[1]
		for _, k := range slices.Sorted(maps.Keys(want)) {
			v, ok := got[k]
			fmt.Fprintf(h, "%q=%t:%q\n", k, ok, v)
		}
		h.Write([]byte{0})
	}
	copy(sum[:], h.Sum(nil))
	return sum
}

// namespaceExists tells whether a namespace of the destination exists:
// from the watch of its namespaces, or else by asking it, once per pass.
func (st *state) namespaceExists(ctx context.Context, ns string) (bool, error) {
	if exists, ok := st.namespaces[ns]; ok {
		return exists, nil
	}
	exists, known := st.target.live.NamespaceExists(ns)
	if !known {
		var err error
		if exists, err = st.target.applier.NamespaceExists(ctx, ns); err != nil {
			return false, err
		}
	}
	if st.namespaces == nil {
		st.namespaces = map[string]bool{}
	}
	st.namespaces[ns] = exists
	return exists, nil
}

// unlabelled reports whether live lacks capstan's managed label: an object
// tracked for this Application by Argo CD before capstan took over.
func unlabelled(live *unstructured.Unstructured) bool {
	return live.GetLabels()[v1alpha1.LabelCapstanManaged] != "true"
}

// adopt handles an object whose only difference from the desired state may
// be capstan's managed label. When it is, the object is in sync: it is not
// reported OutOfSync, and, where the Application syncs automatically, it is
// labelled in place (nothing else changes, nothing is re-created) so that
// it is watched from then on. It returns the live object to keep a verdict
// on, or nil when there are other differences.
func (r *Reconciler) adopt(ctx context.Context, st *state, predicted, live *unstructured.Unstructured, ign *diff.Ignorer) (*unstructured.Unstructured, error) {
	marked := live.DeepCopy()
	labels := marked.GetLabels()
	if labels == nil {
		labels = map[string]string{}
	}
	labels[v1alpha1.LabelCapstanManaged] = "true"
	marked.SetLabels(labels)
	d, err := diff.Compare(ctx, predicted, marked, ign)
	if err != nil || d.Modified {
		return nil, err
	}
	if !st.app.Spec.SyncPolicy.IsAutomatedSyncEnabled() {
		return live, nil
	}
	labelled, err := st.target.applier.Label(ctx, live, v1alpha1.LabelCapstanManaged, "true")
	if apierrors.IsConflict(err) {
		return live, nil // it changed meanwhile: the next pass looks again
	}
	return labelled, err
}

// extraneous lists the live objects that carry this Application's tracking
// but are no longer rendered, among the kinds it renders or managed before.
func (r *Reconciler) extraneous(ctx context.Context, st *state, wanted map[string]bool) ([]*resource, error) {
	t := st.target
	kinds := map[schema.GroupVersionKind]bool{}
	for _, obj := range st.desired {
		kinds[obj.GroupVersionKind()] = true
	}
	for _, rs := range st.app.Status.Resources {
		kinds[schema.GroupVersionKind{Group: rs.Group, Version: rs.Version, Kind: rs.Kind}] = true
	}
	var out []*resource
	seen := map[string]bool{}
	for gvk := range kinds {
		if st.settings.Resources.Excluded(gvk.Group, gvk.Kind, t.cluster.Server) {
			continue // neither watched nor pruned
		}
		m, err := t.applier.Mapping(gvk)
		if err != nil {
			continue // the kind is gone from the cluster, and its objects with it
		}
		if err := t.live.Watch(ctx, m.Resource, gvk, namespaced(m)); err != nil {
			return nil, err
		}
		for _, meta := range t.live.Owned(m.Resource, st.app.Name, st.policy.Method == tracking.MethodLabel) {
			if wanted[objectKey(gvk, meta.Namespace, meta.Name)] {
				continue // the render has it: most often, none is made
			}
			u := metadataObject(gvk, meta)
			if owner, ok := tracking.Owner(u, st.policy); !ok || owner != st.app.Name {
				continue
			}
			if sync.HookOf(u).IsHook {
				// A hook's earlier runs (generateName gives each run its
				// own name) are not kept in sync, nor pruned.
				continue
			}
			seen[objectKey(gvk, meta.Namespace, meta.Name)] = true
			deleting := meta.GetDeletionTimestamp() != nil || r.pruned.recent(meta.GetUID(), st.now)
			out = append(out, &resource{live: u, extraneous: true, deleting: deleting})
		}
	}
	unwatched, err := r.unwatchedExtraneous(ctx, st, wanted, seen)
	return append(out, unwatched...), err
}

// metadataObject is an object known only by its metadata: enough to name,
// track and delete it.
// digestMetaUID is digestUID of the uid of meta, taken from the bytes the
// watch's cache keeps of it when it does.
func digestMetaUID(meta *cluster.Meta) uidDigest {
	if b, ok := meta.UIDBytes(); ok {
		return uidDigest(b)
	}
	return digestUID(meta.GetUID())
}

func metadataObject(gvk schema.GroupVersionKind, meta *cluster.Meta) *unstructured.Unstructured {
	return meta.Object(gvk.ToAPIVersionAndKind())
}

// metadataOf is obj without its body, managed fields or kubectl's copy of
// it: what a verdict keeps of a live object.
func metadataOf(obj *unstructured.Unstructured) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(obj.GroupVersionKind())
	u.SetNamespace(obj.GetNamespace())
	u.SetName(obj.GetName())
	u.SetUID(obj.GetUID())
	u.SetResourceVersion(obj.GetResourceVersion())
	u.SetLabels(obj.GetLabels())
	ann := obj.GetAnnotations()
	if _, ok := ann[lastApplied]; ok {
		ann = maps.Clone(ann)
		delete(ann, lastApplied)
	}
	u.SetAnnotations(ann)
	return u
}

// lastApplied is kubectl's copy of the whole object in an annotation.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// ignoreExtraneous: compare-options IgnoreExtraneous keeps an extraneous
// object from making the Application OutOfSync.
func ignoreExtraneous(obj *unstructured.Unstructured) bool {
	return hasOption(obj.GetAnnotations()[v1alpha1.AnnotationCompareOptions], "IgnoreExtraneous")
}
