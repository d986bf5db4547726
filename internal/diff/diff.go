// Package diff compares the desired state of an object with its live state
// the way users expect: after normalising what the API server manages, and
// without the differences an Application says to ignore (JSON pointers, jq
// paths, fields owned by named managers). It also masks Secret data for
// anything shown to a user. The desired object is best the API server's own
// prediction (a server-side apply dry run), so defaults and webhooks never
// show up as drift.
package diff

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// maxPaths bounds the paths a Result lists.
const maxPaths = 20

// Result says whether two objects differ, and where.
type Result struct {
	// Modified is true when the objects differ after normalisation.
	Modified bool
	// Paths are the JSON paths that differ (at most 20), sorted.
	Paths []string
}

// Compare compares desired with live, both normalised and with ign's rules
// for the object applied to both. A nil live object differs from any
// desired one. ctx bounds the evaluation of the rules' jq expressions.
func Compare(ctx context.Context, desired, live *unstructured.Unstructured, ign *Ignorer) (Result, error) {
	if live == nil {
		return Result{Modified: true, Paths: []string{"(missing)"}}, nil
	}
	a, err := prepare(ctx, desired, live, ign)
	if err != nil {
		return Result{}, err
	}
	b, err := prepare(ctx, live, live, ign)
	if err != nil {
		return Result{}, err
	}
	if reflect.DeepEqual(a, b) {
		return Result{}, nil
	}
	var paths []string
	differences("", a, b, &paths)
	sort.Strings(paths)
	if len(paths) > maxPaths {
		paths = paths[:maxPaths]
	}
	return Result{Modified: true, Paths: paths}, nil
}

// prepare turns obj into plain JSON values (numbers as float64, so that an
// int64 from the API and a float64 from YAML compare equal), normalised and
// with ignored differences removed. live supplies the managed fields.
func prepare(ctx context.Context, obj, live *unstructured.Unstructured, ign *Ignorer) (map[string]any, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	var opts Options
	if ign != nil {
		opts = ign.opts
	}
	gk := obj.GroupVersionKind().GroupKind()
	normalize(m, opts.dropsStatus(gk.Group, gk.Kind))
	opts.normalizeAggregatedRole(m, gk.Group, gk.Kind)
	opts.normalizeKnownTypes(m, gk)
	if ign != nil {
		if err := ign.apply(ctx, m, obj, live); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// serverMetadata are the metadata fields the API server sets or changes.
var serverMetadata = []string{
	"managedFields", "resourceVersion", "generation", "uid", "creationTimestamp",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds",
}

// normalize removes what a user's manifest does not own: status (unless
// the options keep it) and the server's metadata, annotations others keep
// up to date (capstan's digest of what it applied among them), and empty
// maps of labels or annotations.
func normalize(m map[string]any, dropStatus bool) {
	if dropStatus {
		delete(m, "status")
	}
	meta, ok := m["metadata"].(map[string]any)
	if !ok {
		return
	}
	for _, f := range serverMetadata {
		delete(meta, f)
	}
	if ann, ok := meta["annotations"].(map[string]any); ok {
		for _, key := range uncomparedAnnotations {
			delete(ann, key)
		}
		if len(ann) == 0 {
			delete(meta, "annotations")
		}
	}
	if labels, ok := meta["labels"].(map[string]any); ok && len(labels) == 0 {
		delete(meta, "labels")
	}
}

// uncomparedAnnotations are the annotations others keep up to date, which
// a comparison leaves out: kubectl's copy of what it applied, a
// Deployment's revision, capstan's digest of what it applied.
var uncomparedAnnotations = []string{
	"kubectl.kubernetes.io/last-applied-configuration",
	"deployment.kubernetes.io/revision",
	v1alpha1.AnnotationCapstanApplied,
}

// Whole reports whether a comparison sees every part of the desired
// object obj: it sets no status (compared or not, by the options), no
// value of the metadata the API server sets, no annotation a comparison
// leaves out (a manifest exported from a cluster may carry a Deployment's
// revision, which the Deployment controller changes), and no empty map of
// labels or annotations. A change to a part it does not see is no difference, so
// only between whole objects does a change of the manifest, or another
// writer's change to what capstan applied, tell a difference without a
// dry run (within what the options and ignore rules keep as they are: see
// Options.ValueForValue).
func Whole(obj *unstructured.Unstructured) bool {
	if _, ok := obj.Object["status"]; ok {
		return false
	}
	meta, _ := obj.Object["metadata"].(map[string]any)
	for _, f := range serverMetadata {
		// A generator's `creationTimestamp: null` is as if absent, to
		// the API server too.
		if v, ok := meta[f]; ok && v != nil {
			return false
		}
	}
	for _, f := range []string{"labels", "annotations"} {
		if v, ok := meta[f]; ok {
			if m, isMap := v.(map[string]any); !isMap || len(m) == 0 {
				return false
			}
		}
	}
	ann, _ := meta["annotations"].(map[string]any)
	return !slices.ContainsFunc(uncomparedAnnotations, func(key string) bool {
		_, ok := ann[key]
		return ok
	})
}

// differences lists the paths at which a and b differ.
func differences(path string, a, b any, out *[]string) {
	if len(*out) > maxPaths {
		return
	}
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		for k := range keys {
			differences(path+"."+k, am[k], bm[k], out)
		}
		return
	}
	al, aok := a.([]any)
	bl, bok := b.([]any)
	if aok && bok && len(al) == len(bl) {
		for i := range al {
			differences(fmt.Sprintf("%s[%d]", path, i), al[i], bl[i], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, path)
	}
}
