// Package apply writes objects to a cluster the way a sync needs: server-side
// apply with the field manager "capstan", replace, forced re-creation,
// deletion with a propagation policy, and namespace creation. It resolves
// kinds through discovery, refreshing it when a kind is new (a CRD applied
// earlier in the same sync).
package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/capstan-cd/capstan/internal/tracking"
)

// FieldManager is the name capstan's writes are recorded under.
const FieldManager = "capstan"

// Applier writes to one cluster.
type Applier struct {
	client dynamic.Interface
	// meta writes where the caller needs only the metadata of what the API
	// server stored (ApplyMetadata).
	meta   metadata.Interface
	mapper *restmapper.DeferredDiscoveryRESTMapper
	// disc is the discovery the mapper reads, and capabilities what it
	// tells charts (see capabilities.go).
	disc         discovery.CachedDiscoveryInterface
	capabilities capabilitiesCache
	// learned counts the kinds discovery learned after a refresh.
	learned atomic.Uint64
	// mappings keeps each kind's mapping (schema.GroupVersionKind to
	// *meta.RESTMapping) until discovery is reset: the deferred mapper
	// answers through a chain of mappers that costs more than the rest of
	// a pass that finds nothing to do.
	mappings sync.Map
}

// New returns an Applier for the cluster cfg reaches.
func New(cfg *rest.Config) (*Applier, error) {
	client, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	mc, err := metadata.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, err
	}
	disc := memory.NewMemCacheClient(dc)
	return &Applier{client: client, meta: mc, disc: disc, mapper: restmapper.NewDeferredDiscoveryRESTMapper(disc)}, nil
}

// Options change how one object is written.
type Options struct {
	// DryRun asks the API server to run every check and default, and to
	// store nothing.
	DryRun bool
	// Validate rejects unknown and duplicate fields; off, they are dropped.
	Validate bool
	// Replace writes the whole object with an update (create when missing)
	// instead of a server-side apply.
	Replace bool
	// Force deletes and re-creates an object whose change the API server
	// refuses as immutable.
	Force bool
}

// Mapping resolves the resource of gvk, refreshing discovery once when the
// kind is unknown so that CRDs created moments ago are found.
func (a *Applier) Mapping(gvk schema.GroupVersionKind) (*meta.RESTMapping, error) {
	if m, ok := a.mappings.Load(gvk); ok {
		return m.(*meta.RESTMapping), nil
	}
	m, err := a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if meta.IsNoMatchError(err) {
		a.mapper.Reset()
		a.mappings.Clear()
		m, err = a.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err == nil {
			a.learned.Add(1)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("resolve kind %s: %w", gvk, err)
	}
	a.mappings.Store(gvk, m)
	return m, nil
}

// Discovery names what the Applier's discovery knows: it changes each
// time discovery learns a kind it did not know (a CRD was created), so
// that what was derived from the kinds' scopes (a render's namespaces) can
// be keyed by it.
func (a *Applier) Discovery() string {
	return "learned " + strconv.FormatUint(a.learned.Load(), 10)
}

// resource is the client for obj's resource, in its namespace when the
// kind is namespaced.
func (a *Applier) resource(obj *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	m, err := a.Mapping(obj.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			return nil, fmt.Errorf("%s %s is namespaced but has no namespace", obj.GetKind(), obj.GetName())
		}
		return a.client.Resource(m.Resource).Namespace(obj.GetNamespace()), nil
	}
	return a.client.Resource(m.Resource), nil
}

// Apply writes obj, stamped with its digest (see Stamp), and returns the
// object as the API server stored it (or, in a dry run, would store it).
func (a *Applier) Apply(ctx context.Context, obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	res, err := a.resource(obj)
	if err != nil {
		return nil, err
	}
	obj = Stamp(obj)
	var out *unstructured.Unstructured
	if opts.Replace {
		out, err = replace(ctx, res, obj, opts)
	} else {
		out, err = serverSideApply(ctx, res, obj, opts)
	}
	if err != nil {
		out, err = retryWrite(ctx, res, obj, opts, err)
	}
	if err != nil {
		return nil, fmt.Errorf("apply %s: %w", tracking.Describe(obj), err)
	}
	return out, nil
}

// retryWrite is the second try of a write of obj that failed with err:
// with Validate=false, a server-side apply refused for fields the schema
// does not declare becomes a merge write (mergeWrite); with Force, a
// change refused as invalid or conflicting re-creates the object
// (recreate). Any other failure stands.
func retryWrite(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, opts Options, err error) (*unstructured.Unstructured, error) {
	var out *unstructured.Unstructured
	if !opts.Replace && !opts.Validate && unknownFieldError(err) {
		out, err = mergeWrite(ctx, res, obj, opts)
	}
	if err != nil && opts.Force && !opts.DryRun && (apierrors.IsInvalid(err) || apierrors.IsConflict(err)) {
		out, err = recreate(ctx, res, obj, opts)
	}
	return out, err
}

// ApplyMetadata writes obj as Apply does, for a caller that needs nothing
// of the stored object but its metadata: a server-side apply is answered
// with the metadata alone, in protobuf, where Apply has the API server
// encode the whole object in JSON and decodes it. It returns the stored
// object's apiVersion, kind and metadata, without its managed fields, and
// the digest of the fields capstan's apply owns on it (OwnedFields). The
// writes other than a server-side apply that succeeds (Replace, and the
// second tries of retryWrite) are answered whole, and their metadata
// taken from that.
func (a *Applier) ApplyMetadata(ctx context.Context, obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, string, error) {
	if opts.Replace {
		return metadataOfWrite(a.Apply(ctx, obj, opts))
	}
	m, err := a.Mapping(obj.GroupVersionKind())
	if err != nil {
		return nil, "", err
	}
	var res metadata.ResourceInterface = a.meta.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if obj.GetNamespace() == "" {
			return nil, "", fmt.Errorf("%s %s is namespaced but has no namespace", obj.GetKind(), obj.GetName())
		}
		res = a.meta.Resource(m.Resource).Namespace(obj.GetNamespace())
	}
	stamped := Stamp(obj)
	stored, err := metadataApply(ctx, res, stamped, opts)
	if err == nil {
		return metadataObject(obj, &stored.ObjectMeta), OwnedFields(stored.ManagedFields), nil
	}
	dyn, rerr := a.resource(obj)
	if rerr != nil {
		return nil, "", rerr
	}
	out, err := retryWrite(ctx, dyn, stamped, opts, err)
	if err != nil {
		return nil, "", fmt.Errorf("apply %s: %w", tracking.Describe(obj), err)
	}
	return metadataOfWrite(out, nil)
}

// metadataApply sends obj as an apply patch, as serverSideApply does, and
// asks for the answer as the stored object's metadata alone.
func metadataApply(ctx context.Context, res metadata.ResourceInterface, obj *unstructured.Unstructured, opts Options) (*metav1.PartialObjectMetadata, error) {
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return res.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, applyOptions(opts))
}

// metadataOfWrite is what ApplyMetadata returns of a write answered with
// the whole stored object: its apiVersion, kind and metadata, without the
// managed fields.
func metadataOfWrite(stored *unstructured.Unstructured, err error) (*unstructured.Unstructured, string, error) {
	if err != nil {
		return nil, "", err
	}
	owned := OwnedFields(stored.GetManagedFields())
	out := &unstructured.Unstructured{Object: map[string]any{"apiVersion": stored.GetAPIVersion(), "kind": stored.GetKind()}}
	if m, ok := stored.Object["metadata"]; ok {
		out.Object["metadata"] = m
	}
	out.SetManagedFields(nil)
	return out, owned, nil
}

// metadataObject is an object of obj's apiVersion and kind with the
// metadata m, but for its managed fields.
func metadataObject(obj *unstructured.Unstructured, m *metav1.ObjectMeta) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": obj.GetAPIVersion(), "kind": obj.GetKind()}}
	u.SetName(m.Name)
	u.SetNamespace(m.Namespace)
	u.SetUID(m.UID)
	u.SetResourceVersion(m.ResourceVersion)
	u.SetGeneration(m.Generation)
	u.SetCreationTimestamp(m.CreationTimestamp)
	u.SetDeletionTimestamp(m.DeletionTimestamp)
	u.SetLabels(m.Labels)
	u.SetAnnotations(m.Annotations)
	u.SetOwnerReferences(m.OwnerReferences)
	u.SetFinalizers(m.Finalizers)
	return u
}

// serverSideApply sends obj as an apply patch. capstan owns the desired
// state, so conflicts with other managers are forced, as `kubectl apply
// --server-side --force-conflicts` does.
func serverSideApply(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return res.Patch(ctx, obj.GetName(), types.ApplyPatchType, data, applyOptions(opts))
}

// applyOptions are the options of a server-side apply.
func applyOptions(opts Options) metav1.PatchOptions {
	force := true
	po := metav1.PatchOptions{FieldManager: FieldManager, Force: &force, FieldValidation: fieldValidation(opts)}
	if opts.DryRun {
		po.DryRun = []string{metav1.DryRunAll}
	}
	return po
}

func fieldValidation(opts Options) string {
	if opts.Validate {
		return metav1.FieldValidationStrict
	}
	return metav1.FieldValidationIgnore
}

func writeOptions(opts Options) (metav1.CreateOptions, metav1.UpdateOptions) {
	c := metav1.CreateOptions{FieldManager: FieldManager, FieldValidation: fieldValidation(opts)}
	u := metav1.UpdateOptions{FieldManager: FieldManager, FieldValidation: fieldValidation(opts)}
	if opts.DryRun {
		c.DryRun = []string{metav1.DryRunAll}
		u.DryRun = []string{metav1.DryRunAll}
	}
	return c, u
}

// unknownFieldError reports a server-side apply refused because the object
// has a field its schema does not declare: apply patches are typed, and no
// field validation setting lets them through.
func unknownFieldError(err error) bool {
	return strings.Contains(err.Error(), "field not declared in schema")
}

// mergeWrite is the write of Validate=false for objects with unknown
// fields: a create, or a JSON merge patch over the live object, with field
// validation off so the API server drops what it does not know, as a
// client-side `kubectl apply --validate=false` would.
func mergeWrite(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	createOpts, _ := writeOptions(opts)
	out, err := res.Create(ctx, obj, createOpts)
	if !apierrors.IsAlreadyExists(err) {
		return out, err
	}
	data, err := obj.MarshalJSON()
	if err != nil {
		return nil, err
	}
	po := metav1.PatchOptions{FieldManager: FieldManager, FieldValidation: metav1.FieldValidationIgnore, DryRun: createOpts.DryRun}
	return res.Patch(ctx, obj.GetName(), types.MergePatchType, data, po)
}

// replace updates the whole object at its current resourceVersion, or
// creates it when it does not exist.
func replace(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	createOpts, updateOpts := writeOptions(opts)
	live, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return res.Create(ctx, obj, createOpts)
	}
	if err != nil {
		return nil, err
	}
	desired := obj.DeepCopy()
	desired.SetResourceVersion(live.GetResourceVersion())
	return res.Update(ctx, desired, updateOpts)
}

// RecreateWait bounds how long a forced re-creation waits for the old
// object to go. An object a finalizer holds may never go: the apply then
// fails with ErrStillDeleting rather than hold its worker, and the next
// sync attempt finds the deletion further on.
var RecreateWait = 30 * time.Second

// ErrStillDeleting is the error of a forced re-creation whose old object
// did not go within RecreateWait.
var ErrStillDeleting = errors.New("the object being re-created is still being deleted")

// recreate deletes the object, waits for it to be gone, and creates it.
func recreate(ctx context.Context, res dynamic.ResourceInterface, obj *unstructured.Unstructured, opts Options) (*unstructured.Unstructured, error) {
	fg := metav1.DeletePropagationForeground
	if err := res.Delete(ctx, obj.GetName(), metav1.DeleteOptions{PropagationPolicy: &fg}); err != nil && !apierrors.IsNotFound(err) {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, RecreateWait)
	defer cancel()
	if err := waitGone(waitCtx, res, obj.GetName(), ""); err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w after %s (a finalizer may hold it)", ErrStillDeleting, RecreateWait)
		}
		return nil, err
	}
	createOpts, _ := writeOptions(opts)
	return res.Create(ctx, obj, createOpts)
}

// Delete deletes the object named by obj with policy. A missing object is
// not an error. The preconditions, when uid is set, make sure a re-created
// object of the same name is left alone.
func (a *Applier) Delete(ctx context.Context, obj *unstructured.Unstructured, policy metav1.DeletionPropagation) error {
	res, err := a.resource(obj)
	if err != nil {
		return err
	}
	opts := metav1.DeleteOptions{PropagationPolicy: &policy}
	if uid := obj.GetUID(); uid != "" {
		opts.Preconditions = &metav1.Preconditions{UID: &uid}
	}
	err = res.Delete(ctx, obj.GetName(), opts)
	if apierrors.IsNotFound(err) || (apierrors.IsConflict(err) && obj.GetUID() != "") {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", tracking.Describe(obj), err)
	}
	return nil
}

// WaitDeleted waits until the object named by obj no longer exists (or
// exists with another uid, i.e. was re-created).
func (a *Applier) WaitDeleted(ctx context.Context, obj *unstructured.Unstructured) error {
	res, err := a.resource(obj)
	if err != nil {
		return err
	}
	return waitGone(ctx, res, obj.GetName(), obj.GetUID())
}

var errStillThere = errors.New("still there")

func waitGone(ctx context.Context, res dynamic.ResourceInterface, name string, uid types.UID) error {
	w, err := res.Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=" + name})
	if err != nil {
		return err
	}
	defer w.Stop()
	for {
		live, err := res.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) || (err == nil && uid != "" && live.GetUID() != uid) {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s to be deleted: %w", name, errors.Join(errStillThere, ctx.Err()))
		case _, ok := <-w.ResultChan():
			if !ok {
				return waitGone(ctx, res, name, uid)
			}
		}
	}
}

// Get reads the live object named by obj; nil without error when it does
// not exist.
func (a *Applier) Get(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	res, err := a.resource(obj)
	if err != nil {
		return nil, err
	}
	live, err := res.Get(ctx, obj.GetName(), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", tracking.Describe(obj), err)
	}
	return live, nil
}

// Label sets one label on the live object named by obj with a merge patch,
// leaving every other field, and who owns it, as it was. The patch is
// conditional on obj's resourceVersion, so it never lands on a version of
// the object nobody compared.
func (a *Applier) Label(ctx context.Context, obj *unstructured.Unstructured, key, value string) (*unstructured.Unstructured, error) {
	res, err := a.resource(obj)
	if err != nil {
		return nil, err
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
		"resourceVersion": obj.GetResourceVersion(),
		"labels":          map[string]string{key: value},
	}})
	if err != nil {
		return nil, err
	}
	out, err := res.Patch(ctx, obj.GetName(), types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return nil, fmt.Errorf("label %s: %w", tracking.Describe(obj), err)
	}
	return out, nil
}

// Namespaced reports whether objects of gvk are namespaced, and whether the
// cluster knows the kind at all.
func (a *Applier) Namespaced(gvk schema.GroupVersionKind) (namespaced, known bool) {
	m, err := a.Mapping(gvk)
	if err != nil {
		return false, false
	}
	return m.Scope.Name() == meta.RESTScopeNameNamespace, true
}
