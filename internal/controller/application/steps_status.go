package application

import (
	"bytes"
	"context"
	"encoding/json"
	"sort"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/sync"
)

// assessHealth is the worst health of the Application's resources.
func (r *Reconciler) assessHealth(_ context.Context, st *state) error {
	for _, res := range st.resources {
		if res.extraneous || res.desired == nil {
			continue
		}
		if res.live == nil {
			res.health = &health.Status{Code: v1alpha1.HealthStatusMissing}
		}
	}
	return nil
}

// buildStatus writes what the reconcile learned into the Application's
// status. A step that failed leaves what it would have replaced as it was,
// so an unreachable repository does not blank the resource list.
func (r *Reconciler) buildStatus(st *state) {
	s := &st.app.Status
	s.Conditions = mergeConditions(s.Conditions, st.conditions)
	if st.failedStep == "destination" || st.failedStep == "project" || st.failedStep == "sources" {
		s.Sync.Status = v1alpha1.SyncStatusCodeUnknown
		return
	}
	if st.resources == nil && st.failedStep != "" {
		return
	}
	if len(st.sourceType) > 0 {
		s.SourceType = st.sourceType[0]
		if len(st.sourceType) > 1 {
			s.SourceTypes = st.sourceType
		}
	}
	s.Sync.Status = syncCode(st)
	s.Summary.Images = imagesOf(st.desired)
	s.Sync.ComparedTo = v1alpha1.ComparedTo{Destination: st.app.Spec.Destination, IgnoreDifferences: st.app.Spec.IgnoreDifferences}
	if src := st.app.Spec.Source; src != nil {
		s.Sync.ComparedTo.Source = *src
		s.Sync.Revision = revisionOf(st.revisions)
	} else {
		s.Sync.ComparedTo.Sources = st.app.Spec.Sources
		s.Sync.Revisions = st.revisions
	}
	var codes []v1alpha1.HealthStatusCode
	s.Resources = s.Resources[:0]
	for _, res := range st.resources {
		obj := res.desired
		if obj == nil {
			obj = res.live
		}
		gvk := obj.GroupVersionKind()
		rs := v1alpha1.ResourceStatus{Group: gvk.Group, Version: gvk.Version, Kind: gvk.Kind, Namespace: obj.GetNamespace(), Name: obj.GetName(),
			Status: v1alpha1.SyncStatusCodeSynced, RequiresPruning: res.extraneous, SyncWave: int64(sync.WaveOf(obj))}
		if res.modified || res.live == nil || res.extraneous {
			rs.Status = v1alpha1.SyncStatusCodeOutOfSync
		}
		if rs.Status == v1alpha1.SyncStatusCodeSynced {
			rs.OwnedFields = r.statusOwned(st, res)
		}
		if res.health != nil && !res.extraneous {
			rs.Health = &v1alpha1.HealthStatus{Status: res.health.Code, Message: res.health.Message}
			codes = append(codes, res.health.Code)
		}
		s.Resources = append(s.Resources, rs)
	}
	sort.Slice(s.Resources, func(i, j int) bool {
		a, b := s.Resources[i], s.Resources[j]
		if a.Group+a.Kind != b.Group+b.Kind {
			return a.Group+a.Kind < b.Group+b.Kind
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	code := health.Aggregate(codes...)
	if s.Health.Status != code {
		now := metav1.NewTime(st.now)
		s.Health.LastTransitionTime = &now
	}
	s.Health.Status = code
}

// mergeConditions keeps the transition time of a condition that holds on.
func mergeConditions(old, current []v1alpha1.ApplicationCondition) []v1alpha1.ApplicationCondition {
	out := make([]v1alpha1.ApplicationCondition, 0, len(current))
	for _, c := range current {
		for _, o := range old {
			if o.Type == c.Type && o.Message == c.Message {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// patchStatus writes the status when it changed (a no-op reconcile writes
// nothing), then clears what the Application asked of this pass (see
// clearRequests). When the operation changed, the versions of the
// Application these writes (and the pass's checkpoints) replace are
// remembered, so that no pass acts on them again (see expectations). A
// write that fails is remembered as not made: the cache may show a
// checkpoint, never the failed write.
//
// read is the version the pass started from; before is the Application
// as the pass started from it.
func (r *Reconciler) patchStatus(ctx context.Context, read string, before *v1alpha1.Application, st *state) error {
	app, saved := st.app, st.saved
	defer r.expectWrites(st, read, before)
	// A refresh a user asked for is answered with a new reconciledAt
	// (what a script waits on) even when nothing else changed; a poll
	// that found nothing new writes nothing.
	if st.refresh != "" || !equality.Semantic.DeepEqual(saved.Status, app.Status) {
		now := metav1.NewTime(r.Clock.Now())
		app.Status.ReconciledAt, app.Status.ObservedAt = &now, &now
		if err := r.writeStatus(ctx, saved, app); err != nil {
			return err
		}
		st.replaced = append(st.replaced, saved.ResourceVersion)
	}
	return r.clearRequests(ctx, before, st)
}

// writeStatus sends the change from saved's status to app's as a merge
// patch of the status subresource (statusPatch), and takes from the answer
// the metadata of the version written. It asks for that metadata alone,
// in protobuf: the whole Application in JSON, which the API server would
// encode and the pass decode, brings back nothing the pass lacks, since
// the status is the one it just wrote.
func (r *Reconciler) writeStatus(ctx context.Context, saved, app *v1alpha1.Application) error {
	data, err := statusPatch(&saved.Status, &app.Status)
	if err != nil {
		return err
	}
	written := &metav1.PartialObjectMetadata{}
	written.SetGroupVersionKind(v1alpha1.GroupVersion.WithKind("Application"))
	written.Namespace, written.Name = app.Namespace, app.Name
	if err := r.Client.Status().Patch(ctx, written, client.RawPatch(types.MergePatchType, data)); err != nil {
		return err
	}
	app.ObjectMeta = written.ObjectMeta
	return nil
}

// statusPatch is the JSON merge patch, {"status": ...}, that turns the
// status from into to. It is computed from the statuses alone, not from
// the whole Applications: the API server ignores the rest of a write to
// the status subresource. Their top-level fields are compared in JSON, and
// only an object that differs is decoded to find what in it changed: a
// pass that moved the health alone decodes the health, not the lists of
// resources and results beside it.
func statusPatch(from, to *v1alpha1.ApplicationStatus) ([]byte, error) {
	var fields [2]map[string]json.RawMessage
	for i, status := range []*v1alpha1.ApplicationStatus{from, to} {
		data, err := json.Marshal(status)
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, &fields[i]); err != nil {
			return nil, err
		}
	}
	before, after := fields[0], fields[1]
	patch := make(map[string]json.RawMessage, len(after))
	for name, value := range after {
		old, ok := before[name]
		switch {
		case ok && bytes.Equal(old, value):
		case ok && isJSONObject(old) && isJSONObject(value):
			change, err := jsonpatch.CreateMergePatch(old, value)
			if err != nil {
				return nil, err
			}
			patch[name] = change
		default:
			patch[name] = value
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			patch[name] = json.RawMessage("null")
		}
	}
	return json.Marshal(map[string]map[string]json.RawMessage{"status": patch})
}

// isJSONObject reports whether value, JSON as encoding/json writes it, is
// an object.
func isJSONObject(value json.RawMessage) bool { return len(value) > 0 && value[0] == '{' }

// clearRequests clears, in one write after the status, the requests this
// pass answered: the operation once it is done, and the refresh
// annotation. Whoever waits for the annotation to go (the API's GET with
// ?refresh) thus finds the refreshed status with it. The write is
// conditional on the version just written: a request written meanwhile is
// not cleared unseen; when only the annotation was to go, the write that
// came between queues another pass, which takes the request again. An
// operation is cleared again across such a write (see clearAgain), so that
// it is not left behind looking like a new request.
func (r *Reconciler) clearRequests(ctx context.Context, before *v1alpha1.Application, st *state) error {
	app := st.app
	refresh := answeredRefresh(before, app)
	operation := st.operationDone && before.Operation != nil
	if !refresh && !operation {
		return nil
	}
	metadata := map[string]any{"resourceVersion": app.ResourceVersion}
	patch := map[string]any{"metadata": metadata}
	if refresh {
		metadata["annotations"] = map[string]any{v1alpha1.AnnotationRefresh: nil}
	}
	if operation {
		patch["operation"] = nil
	}
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	written := app.ResourceVersion
	err = r.Client.Patch(ctx, app, client.RawPatch(types.MergePatchType, data))
	if mayHaveWritten(err) {
		st.replaced = append(st.replaced, written)
	}
	switch {
	case !apierrors.IsConflict(err):
		return err
	case operation:
		return r.clearAgain(ctx, st, *before.Operation, before.Generation)
	}
	return nil
}

// answeredRefresh reports whether the refresh annotation app carries now
// is the one this pass took from before. After a status write, app
// carries the annotations of the version written, and a refresh asked
// for while the pass ran (or a hard one over the normal one it took) is
// left for the pass its write queues: removing it would answer it with a
// status from a revision resolved before it was asked.
func answeredRefresh(before, app *v1alpha1.Application) bool {
	taken, took := before.Annotations[v1alpha1.AnnotationRefresh]
	now, pending := app.Annotations[v1alpha1.AnnotationRefresh]
	return took && pending && now == taken
}

// expectWrites remembers the versions of the Application this pass's
// writes replaced, when they changed its operation.
func (r *Reconciler) expectWrites(st *state, read string, before *v1alpha1.Application) {
	if len(st.replaced) == 0 || equality.Semantic.DeepEqual(before.Status.OperationState, st.saved.Status.OperationState) &&
		equality.Semantic.DeepEqual(before.Status.OperationState, st.app.Status.OperationState) {
		return
	}
	replaced := append([]string{read, before.ResourceVersion}, st.replaced...)
	r.expected.expect(appKey(st.app), replaced, r.Clock.Now())
}
