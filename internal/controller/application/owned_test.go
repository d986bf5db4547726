package application

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/apply"
)

func managed(entries ...metav1.ManagedFieldsEntry) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}}
	u.SetUID("u1")
	u.SetManagedFields(entries)
	return u
}

func entry(manager string, op metav1.ManagedFieldsOperationType, fields string) metav1.ManagedFieldsEntry {
	return metav1.ManagedFieldsEntry{Manager: manager, Operation: op, APIVersion: "v1", FieldsV1: &metav1.FieldsV1{Raw: []byte(fields)}}
}

func TestOwnedFields(t *testing.T) {
	const both = `{"f:data":{"f:a":{},"f:b":{}}}`
	applied := ownedFields(managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, both)))
	if applied == "" {
		t.Fatal("capstan's apply entry gives no digest")
	}
	later := entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, both)
	later.Time = &metav1.Time{}
	for _, tc := range []struct {
		name string
		live *unstructured.Unstructured
		want string
	}{
		{"the same fields, another time", managed(later, entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, `{"f:data":{"f:c":{}}}`)), applied},
		{"a field taken away", managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, `{"f:data":{"f:a":{}}}`),
			entry("kubectl-edit", metav1.ManagedFieldsOperationUpdate, `{"f:data":{"f:b":{}}}`)), "x"},
		{"capstan also updated it", managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, both),
			entry(apply.FieldManager, metav1.ManagedFieldsOperationUpdate, `{"f:metadata":{}}`)), ""},
		{"capstan never applied it", managed(entry("kubectl", metav1.ManagedFieldsOperationApply, both)), ""},
		{"no managed fields", managed(), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ownedFields(tc.live)
			if tc.want == "x" {
				if got == applied || got == "" {
					t.Errorf("ownedFields = %q, want another digest than %q", got, applied)
				}
				return
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("ownedFields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestOwnershipDecides(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "data": map[string]any{"a": "1"}}}
	withStatus := cm.DeepCopy()
	withStatus.Object["status"] = map[string]any{}
	revision := cm.DeepCopy()
	revision.SetAnnotations(map[string]string{"deployment.kubernetes.io/revision": "3"})
	role := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "aggregationRule": map[string]any{}}}
	const fields = `{"f:data":{"f:a":{}}}`
	live := managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, fields))
	applied := verdict{owned: "d", uid: digestUID(live.GetUID())}
	// capstan's own update (a resource patched through its API) mixes
	// with what its apply owns: ownership tells nothing any more.
	updated := managed(entry(apply.FieldManager, metav1.ManagedFieldsOperationApply, fields),
		entry(apply.FieldManager, metav1.ManagedFieldsOperationUpdate, `{"f:metadata":{"f:labels":{"f:patched":{}}}}`))
	for _, tc := range []struct {
		name    string
		v       verdict
		desired *unstructured.Unstructured
		live    *unstructured.Unstructured
		plain   bool
		want    bool
	}{
		{"applied, in sync", applied, cm, live, true, true},
		{"ignoreDifferences rules", applied, cm, live, false, false},
		{"not recorded after an apply", verdict{uid: digestUID(live.GetUID())}, cm, live, true, false},
		{"out of sync already", verdict{owned: "d", uid: digestUID(live.GetUID()), modified: true}, cm, live, true, false},
		{"shared", verdict{owned: "d", uid: digestUID(live.GetUID()), shared: true}, cm, live, true, false},
		{"re-created", verdict{owned: "d", uid: digestUID("other")}, cm, live, true, false},
		{"desired status", applied, withStatus, live, true, false},
		{"an annotation the comparison leaves out", applied, revision, live, true, false},
		{"aggregated ClusterRole", applied, role, live, true, false},
		{"capstan also updated it", applied, cm, updated, true, false},
		{"capstan owns nothing any more", applied, cm, managed(), true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ownershipDecides(tc.v, tc.desired, digestUID(tc.live.GetUID()), ownedFields(tc.live), tc.plain)); diff != "" {
				t.Errorf("ownershipDecides (-want +got):\n%s", diff)
			}
		})
	}
}

// A resource patched through capstan's own API (an update under capstan's
// field manager, as patch-resource makes) is no drift: once capstan's
// update and apply mix, what its apply owns says nothing, and the
// comparison looks at the object itself rather than conclude it changed.
func TestOwnUpdateIsNoDrift(t *testing.T) {
	cl, requests := startCountingController(t)
	syncedConfigMaps(t, cl, requests, "own-update", 1)
	started := appStatus(t, cl, "own-update").Status.OperationState.StartedAt
	cs := kubernetes.NewForConfigOrDie(env.Config())
	before := requests.n.Load()
	if _, err := cs.CoreV1().ConfigMaps("own-update").Patch(context.Background(), "cm0", types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"patched":"yes"}}}`), metav1.PatchOptions{FieldManager: apply.FieldManager}); err != nil {
		t.Fatal(err)
	}
	requests.waitQuiet()
	// The pass that saw the patch looked at the object itself.
	if made := requests.since(before); !slices.Contains(made, "GET /api/v1/namespaces/own-update/configmaps/cm0") {
		t.Errorf("no read of cm0 after capstan's own update: %q", made)
	}
	a := appStatus(t, cl, "own-update")
	if a.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || !a.Status.OperationState.StartedAt.Equal(&started) {
		t.Errorf("after capstan's own update: sync %s, operation started %s (the sync before it started %s): taken for drift",
			a.Status.Sync.Status, a.Status.OperationState.StartedAt, started)
	}
}
