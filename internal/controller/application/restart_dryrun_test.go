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
// write, nor a read, and the edits are still found and healed.
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
		// The status keeps, for each object, what capstan's apply owns on
		// it: the next controller compares that with its watch.
		for _, rs := range appStatus(t, cl, quiet).Status.Resources {
			if rs.OwnedFields == "" {
				t.Errorf("the status of %s keeps no owned fields for %s %s", quiet, rs.Kind, rs.Name)
			}
		}
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
	// What the watch keeps answers for each object: the ConfigMap's
	// health needs nothing but its metadata, the Deployment's and the
	// Service's are in their health views.
	if len(reads) > 0 {
		t.Errorf("the restarted controller read %d objects the watch shows as the last controller left them: %v", len(reads), reads)
	}
	if len(dryRuns) > 0 {
		t.Errorf("the restarted controller made %d dry runs for an Application in sync: %v", len(dryRuns), dryRuns)
	}
	if len(writes) > 0 {
		t.Errorf("the restarted controller wrote %d times for an Application in sync: %v", len(writes), writes)
	}

	// Another client's label is no drift: what the watch keeps of the
	// objects it listed at start tells capstan's fields as they are.
	labelled, err := cs.CoreV1().ConfigMaps(quiet).Patch(ctx, "settings", types.MergePatchType,
		[]byte(`{"metadata":{"labels":{"team":"other"}}}`), metav1.PatchOptions{FieldManager: "other-controller"})
	if err != nil {
		t.Fatal(err)
	}
	var v verdict
	waitFor(t, "the labelled ConfigMap to be compared", func(context.Context) (bool, error) {
		v = verdictOn(r, quiet, "/ConfigMap|"+quiet+"/settings")
		return v.resourceVersion == labelled.ResourceVersion, nil
	})
	if v.modified {
		t.Error("another client's label made the ConfigMap out of sync")
	}
}

// verdictOn is the verdict of Application name on the object of key.
func verdictOn(r *Reconciler, name, key string) verdict {
	r.verdicts.mu.Lock()
	defer r.verdicts.mu.Unlock()
	v, _ := r.verdicts.m[controlPlane+"/"+name].get(keyDigestOf(key))
	return v
}

// verdictCount is the number of objects of Application name the
// controller has a verdict on.
func verdictCount(r *Reconciler, name string) int {
	r.verdicts.mu.Lock()
	defer r.verdicts.mu.Unlock()
	return r.verdicts.m[controlPlane+"/"+name].len()
}
