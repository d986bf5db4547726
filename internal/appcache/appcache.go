// Package appcache keeps the Applications of an informer cache small.
//
// Decoded, an Application's status is most of it: a struct per managed
// object in status.resources, another per object in the last sync's
// result, the history, the summary. At 10,000 Applications of five
// objects the decoded Applications held some 30 MB of capstan's 107 MB
// heap at idle (docs/performance.md, "W2 at cf67e05"), though a status
// is read only by the pass that reconciles its Application, or the API
// that serves it. Transform caches each Application with its metadata,
// spec and operation as they are, and its status as JSON compressed
// against the status of another Application (see deflate.Family).
//
// A read through the cache's client (Get, or List without
// UnsafeDisableDeepCopy) makes the copy it always made, a whole
// *v1alpha1.Application: the cached form's DeepCopyObject expands the
// status. What reads the cache's own objects (an informer's
// notifications, an Index) gets *Application and reads its metadata and
// spec in place, or calls Expand for the whole. A List with
// UnsafeDisableDeepCopy fails: its items would be *Application, which an
// ApplicationList cannot hold. So does client-go's cache mutation
// detector (KUBE_CACHE_MUTATION_DETECTOR), which takes a copy of a
// different type for a change.
package appcache

import (
	"context"
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/deflate"
	"github.com/capstan-cd/capstan/internal/intern"
)

// Application is an Application as the cache holds it. Its metadata,
// spec and operation are shared with every reader of the cache and must
// not be changed.
type Application struct {
	metav1.TypeMeta
	metav1.ObjectMeta
	Spec      v1alpha1.ApplicationSpec
	Operation *v1alpha1.Operation
	// Brief is what a list of Applications shows of the status, decoded.
	Brief Brief

	// status is the status as JSON, deflated against dict; or, when it
	// could not be packed, decoded in decoded.
	status  []byte
	dict    *deflate.Dict
	decoded *v1alpha1.ApplicationStatus
}

var _ client.Object = (*Application)(nil)

// Brief is what a list of Applications shows of each status, so that a
// list reads no status whole.
type Brief struct {
	Sync   v1alpha1.SyncStatusCode
	Health v1alpha1.HealthStatusCode
	// Revision is status.sync.revision, else the first of
	// status.sync.revisions.
	Revision string
	// OperationPhase is the phase of the last or running operation.
	OperationPhase v1alpha1.OperationPhase
}

// briefOf is what a list shows of status.
func briefOf(status *v1alpha1.ApplicationStatus) Brief {
	b := Brief{Sync: status.Sync.Status, Health: status.Health.Status, Revision: status.Sync.Revision}
	if b.Revision == "" && len(status.Sync.Revisions) > 0 {
		b.Revision = status.Sync.Revisions[0]
	}
	if op := status.OperationState; op != nil {
		b.OperationPhase = op.Phase
	}
	return b
}

// DeepCopyObject returns the whole Application, a *v1alpha1.Application
// of its own: what the cache's client hands a Get or a List.
func (a *Application) DeepCopyObject() runtime.Object {
	app, err := a.Expand()
	if err != nil {
		// Unreachable: the status expands from what Pack wrote, and
		// TestRoundTrip decodes a status with every field set. The copy
		// has the Application's metadata and spec, and no status.
		log.Log.WithName("appcache").Error(err, "cannot expand a cached Application's status", "namespace", a.Namespace, "name", a.Name)
	}
	return app
}

// Expand returns the whole Application, a copy of its own, and an error
// when its status does not expand (the copy then has none).
func (a *Application) Expand() (*v1alpha1.Application, error) {
	app := a.Head()
	app.ObjectMeta = *a.ObjectMeta.DeepCopy()
	app.Spec = *a.Spec.DeepCopy()
	app.Operation = a.Operation.DeepCopy()
	if a.decoded != nil {
		a.decoded.DeepCopyInto(&app.Status)
		return app, nil
	}
	if a.status == nil {
		return app, nil
	}
	data, err := deflate.Expand(a.status, a.dict)
	if err != nil {
		return app, fmt.Errorf("expand the status of Application %s/%s: %w", a.Namespace, a.Name, err)
	}
	if err := json.Unmarshal(data, &app.Status); err != nil {
		app.Status = v1alpha1.ApplicationStatus{}
		return app, fmt.Errorf("decode the status of Application %s/%s: %w", a.Namespace, a.Name, err)
	}
	return app, nil
}

// Head returns the Application without its status. Its metadata, spec
// and operation are the cached ones, shared and never to be changed.
func (a *Application) Head() *v1alpha1.Application {
	return &v1alpha1.Application{TypeMeta: a.TypeMeta, ObjectMeta: a.ObjectMeta, Spec: a.Spec, Operation: a.Operation}
}

// shared holds the strings of cached Applications' metadata and specs,
// which they share: their namespace, project, destination, repository.
var shared intern.Table

// unique are the fields whose strings no other Application or version
// has: shared, they would fill the table with strings of versions long
// gone.
var unique = []string{"UID", "ResourceVersion"}

// statuses compresses each status against the first one packed: the
// statuses of Applications of one shape differ in a few names.
var statuses deflate.Family

// Pack returns app as the cache holds it. The result shares app's
// metadata, spec and operation, whose strings it interns.
func Pack(app *v1alpha1.Application) *Application {
	packed := &Application{TypeMeta: app.TypeMeta, ObjectMeta: app.ObjectMeta, Spec: app.Spec, Operation: app.Operation, Brief: briefOf(&app.Status)}
	shared.Fields(packed, unique...)
	data, err := json.Marshal(&app.Status)
	if err == nil && string(data) == "{}" {
		return packed
	}
	if err == nil {
		packed.status, packed.dict, err = statuses.Compress(data)
	}
	if err != nil {
		status := app.Status
		packed.decoded = &status
	}
	return packed
}

// Transform returns an informer transform that runs strip on each object
// and packs an Application with Pack. An object already packed is left
// as it is.
func Transform(strip toolscache.TransformFunc) toolscache.TransformFunc {
	return func(obj any) (any, error) {
		obj, err := strip(obj)
		if err != nil {
			return obj, err
		}
		if app, ok := obj.(*v1alpha1.Application); ok {
			return Pack(app), nil
		}
		return obj, nil
	}
}

// Of returns the cached form of obj: an *Application as it is, a
// *v1alpha1.Application (from a cache without Transform) as a view that
// shares its fields, and nil for anything else, a deleted object's last
// state unwrapped first.
func Of(obj any) *Application {
	if d, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	switch app := obj.(type) {
	case *Application:
		return app
	case *v1alpha1.Application:
		return &Application{TypeMeta: app.TypeMeta, ObjectMeta: app.ObjectMeta, Spec: app.Spec, Operation: app.Operation, Brief: briefOf(&app.Status), decoded: &app.Status}
	}
	return nil
}

// ListCopies returns the Applications of namespace that r lists, copies
// of their own, in their cached form, and the list's resourceVersion:
// what a reader without an Index reads.
func ListCopies(ctx context.Context, r client.Reader, namespace string) ([]*Application, string, error) {
	var list v1alpha1.ApplicationList
	if err := r.List(ctx, &list, client.InNamespace(namespace)); err != nil {
		return nil, "", fmt.Errorf("list Applications of %s: %w", namespace, err)
	}
	apps := make([]*Application, len(list.Items))
	for i := range list.Items {
		apps[i] = Of(&list.Items[i])
	}
	return apps, list.ResourceVersion, nil
}
