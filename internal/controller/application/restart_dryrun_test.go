package application

import (
	"context"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// TestRestartComparesWithoutDryRuns converges two Applications, stops the
// controller, edits one Application's objects as kubectl would while no
// controller runs, and starts a new controller (nothing remembered): the
// untouched Application is found in sync without a single dry run or
// write, and the edits are still found and healed.
func TestRestartComparesWithoutDryRuns(t *testing.T) {
	srv, rev := guestbookServer(t, map[string]string{"team": "blue"})
	const quiet, edited = "restart-quiet", "restart-edited"

	t.Run("first controller", func(t *testing.T) {
		cl, _ := startCountingController(t)
		for _, name := range []string{quiet, edited} {
			if err := cl.Create(context.Background(), seedApp(name, srv.RepoURL("apps"), name)); err != nil {
				t.Fatal(err)
			}
		}
		// Healthy is the last thing the controller writes.
		waitSynced(t, cl, quiet, rev)
		waitSynced(t, cl, edited, rev)
	})
	if t.Failed() {
		return
	}

	// With no controller running, another client changes a value, scales
	// the Deployment and removes an annotation capstan set.
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	edit := metav1.PatchOptions{FieldManager: "kubectl-edit"}
	if _, err := cs.CoreV1().ConfigMaps(edited).Patch(ctx, "settings", types.MergePatchType,
		[]byte(`{"data":{"name":"changed"},"metadata":{"annotations":{"team":null}}}`), edit); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.AppsV1().Deployments(edited).Patch(ctx, "guestbook-ui", types.MergePatchType,
		[]byte(`{"spec":{"replicas":3}}`), metav1.PatchOptions{FieldManager: "kubectl"}, "scale"); err != nil {
		t.Fatal(err)
	}

	var r *Reconciler
	cl, requests := startConfiguredController(t, func(rec *Reconciler) { r = rec })
	waitFor(t, "the edits made while stopped to be healed", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps(edited).Get(ctx, "settings", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		d, err := cs.AppsV1().Deployments(edited).Get(ctx, "guestbook-ui", metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		return cm.Data["name"] == "settings" && cm.Annotations["team"] == "blue" && *d.Spec.Replicas == 1, nil
	})
	// A verdict on an object is kept once it is compared: when the quiet
	// Application has one on each of its three objects, its first
	// comparison is over, dry runs and all.
	waitFor(t, "the quiet Application to be compared", func(context.Context) (bool, error) {
		return verdictCount(r, quiet) == 3, nil
	})
	waitSynced(t, cl, edited, rev)

	var dryRuns, writes, reads []string
	for _, req := range requests.since(0) {
		method, uri, _ := strings.Cut(req, " ")
		if !strings.Contains(uri, "/namespaces/"+quiet+"/") && !strings.Contains(uri, "/applications/"+quiet) {
			continue
		}
		switch {
		case method == "GET":
			reads = append(reads, req)
		case strings.Contains(uri, "dryRun="):
			dryRuns = append(dryRuns, req)
		default:
			writes = append(writes, req)
		}
	}
	t.Logf("the quiet Application's objects were read %d times: %v", len(reads), reads)
	if len(dryRuns) > 0 {
		t.Errorf("the restarted controller made %d dry runs for an Application in sync: %v", len(dryRuns), dryRuns)
	}
	if len(writes) > 0 {
		t.Errorf("the restarted controller wrote %d times for an Application in sync: %v", len(writes), writes)
	}
}

// verdictCount is the number of objects of Application name the
// controller has a verdict on.
func verdictCount(r *Reconciler, name string) int {
	r.verdicts.mu.Lock()
	defer r.verdicts.mu.Unlock()
	return len(r.verdicts.m[controlPlane+"/"+name])
}
