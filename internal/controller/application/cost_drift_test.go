package application

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A drifted object of a self-healing Application is healed with the
// requests it needs: the apply that reverts it and one status write, with
// no read and no dry run: the fields capstan no longer owns tell the drift
// (ownedFields), and the watch keeps their digest; and one Event. A change
// by another writer to fields capstan does not set costs nothing
// (docs/performance.md, request budgets).
func TestDriftHealCostsItsRequests(t *testing.T) {
	cl, requests, events := startEventCountingController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	syncedConfigMaps(t, cl, requests, "costdrift", 3)
	started := appStatus(t, cl, "costdrift").Status.OperationState.StartedAt

	edit := func(patch string) {
		t.Helper()
		if _, err := cs.CoreV1().ConfigMaps("costdrift").Patch(context.Background(), "cm1", types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
			t.Fatal(err)
		}
	}
	before, recorded := requests.n.Load(), events.len()
	edit(`{"data":{"v":"drifted"}}`)
	waitFor(t, "the drift healed", func(ctx context.Context) (bool, error) {
		cm, err := cs.CoreV1().ConfigMaps("costdrift").Get(ctx, "cm1", metav1.GetOptions{})
		return err == nil && cm.Data["v"] == "1", err
	})
	requests.waitQuiet() // any pass the heal brings about, and its Events
	made, writes := apart(requests.since(before), eventsPath)
	want := []string{
		"PATCH /api/v1/namespaces/costdrift/configmaps/cm1?fieldManager=capstan&fieldValidation=Strict&force=true",
		"PATCH /apis/argoproj.io/v1alpha1/namespaces/argocd/applications/costdrift/status",
	}
	if diff := cmp.Diff(want, made); diff != "" {
		t.Errorf("the requests of a heal (-want +got):\n%s", diff)
	}
	healed := appStatus(t, cl, "costdrift").Status.OperationState
	if healed.StartedAt.Equal(&started) || !healed.Operation.InitiatedBy.Automated || healed.Phase != v1alpha1.OperationSucceeded {
		t.Errorf("the heal is not recorded as an automated operation: %+v", healed)
	}
	wantEvents := []string{"Normal OperationCompleted Automated sync to '" + healed.SyncResult.Revision + "' succeeded"}
	if diff := cmp.Diff(wantEvents, events.since(recorded)); diff != "" || len(writes) != 1 {
		t.Errorf("the Events of a heal (-want +got):\n%s\nwritten in %q", diff, writes)
	}

	// Another writer's own fields are no drift, told from the watch: no
	// request at all.
	requests.waitQuiet()
	before = requests.n.Load()
	edit(`{"metadata":{"annotations":{"other":"x"}},"data":{"other":"x"}}`)
	time.Sleep(3 * time.Second) // the pass the watch event brings about, and the polls (every second here)
	made = requests.since(before)
	if diff := cmp.Diff([]string(nil), made); diff != "" {
		t.Errorf("the requests after another writer's change (-want +got):\n%s", diff)
	}
	if a := appStatus(t, cl, "costdrift"); a.Status.Sync.Status != v1alpha1.SyncStatusCodeSynced || !a.Status.OperationState.StartedAt.Equal(&healed.StartedAt) {
		t.Errorf("another writer's change: sync %s, operation started %s, want Synced and no new operation", a.Status.Sync.Status, a.Status.OperationState.StartedAt)
	}
}

// A Deployment another client edits (its progress deadline, a field
// capstan sets) is healed with the same two requests as a ConfigMap, its
// health read from the watch's view of it. Then its controller observes
// the healed generation, which the watch brings with the status its
// health reads (none is read), and the status of the heal, held while the
// Deployment is Progressing, is written once it is Healthy again: one
// status write and one Event, the heal's, in all. A watch event that
// brings no version newer than what capstan read or wrote itself costs
// nothing (docs/performance.md, request budgets). The edit starts no Pod
// and stops none: a scale would, and the Deployment's own status could
// then turn Progressing again after it was Healthy, a change of health
// any status records.
func TestDeploymentDriftHealCostsItsRequests(t *testing.T) {
	cl, requests, events := startEventCountingControllerWith(t, func(r *Reconciler) { r.Opts.StatusHold = time.Minute })
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "costscale")
	repo.Commit(t, "main", map[string]string{"guestbook/web.yaml": workloadYAML("Deployment", "web", "registry.invalid/web:1.0", "  replicas: 1\n  progressDeadlineSeconds: 600\n")}, "a Deployment")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp("costscale", repo.URL(), "costscale")); err != nil {
		t.Fatal(err)
	}
	healthy := func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "costscale")
		d, err := cs.AppsV1().Deployments("costscale").Get(ctx, "web", metav1.GetOptions{})
		return err == nil && *d.Spec.ProgressDeadlineSeconds == 600 && d.Status.ObservedGeneration == d.Generation && d.Status.Replicas == 1 && d.Status.AvailableReplicas == 1 &&
			a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy &&
			a.Status.OperationState != nil && a.Status.OperationState.Phase == v1alpha1.OperationSucceeded, nil
	}
	waitFor(t, "the Deployment Synced and Healthy", healthy)
	requests.waitQuiet()
	started := appStatus(t, cl, "costscale").Status.OperationState.StartedAt

	before, recorded := requests.n.Load(), events.len()
	if _, err := cs.AppsV1().Deployments("costscale").Patch(context.Background(), "web", types.MergePatchType, []byte(`{"spec":{"progressDeadlineSeconds":300}}`),
		metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the drift healed", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "costscale")
		ok, err := healthy(ctx)
		return ok && !a.Status.OperationState.StartedAt.Equal(&started), err
	})
	requests.waitQuiet()
	made, writes := apart(requests.since(before), eventsPath)
	heal := []string{
		"PATCH /apis/apps/v1/namespaces/costscale/deployments/web?fieldManager=capstan&fieldValidation=Strict&force=true",
		"PATCH /apis/argoproj.io/v1alpha1/namespaces/argocd/applications/costscale/status",
	}
	if diff := cmp.Diff(heal, made); diff != "" {
		t.Errorf("the requests of a heal (-want +got):\n%s", diff)
	}
	healed := appStatus(t, cl, "costscale").Status.OperationState
	wantEvents := []string{"Normal OperationCompleted Automated sync to '" + healed.SyncResult.Revision + "' succeeded"}
	if diff := cmp.Diff(wantEvents, events.since(recorded)); diff != "" || len(writes) != 1 {
		t.Errorf("the Events of a heal (-want +got):\n%s\nwritten in %q", diff, writes)
	}
}

// eventsPath is where the controller writes the Events it records.
const eventsPath = "/api/v1/namespaces/" + controlPlane + "/events"

// apart splits requests into those whose path starts with prefix and the
// others.
func apart(requests []string, prefix string) (others, matching []string) {
	for _, r := range requests {
		if _, path, _ := strings.Cut(r, " "); strings.HasPrefix(path, prefix) {
			matching = append(matching, r)
		} else {
			others = append(others, r)
		}
	}
	return others, matching
}

// eventLog records the Events the controller records, in order, and
// passes them on.
type eventLog struct {
	EventRecorder
	mu  sync.Mutex
	log []string
}

func (l *eventLog) Eventf(object runtime.Object, eventtype, reason, messageFmt string, args ...any) {
	l.mu.Lock()
	l.log = append(l.log, eventtype+" "+reason+" "+fmt.Sprintf(messageFmt, args...))
	l.mu.Unlock()
	l.EventRecorder.Eventf(object, eventtype, reason, messageFmt, args...)
}

func (l *eventLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.log)
}

// since lists the Events recorded after the first n.
func (l *eventLog) since(n int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.log[n:]...)
}

// startEventCountingController is startCountingController recording
// Events, as capstan does by default, and counting their writes with the
// controller's other requests.
func startEventCountingController(t *testing.T) (client.Client, *requests, *eventLog) {
	t.Helper()
	return startEventCountingControllerWith(t, func(*Reconciler) {})
}

// startEventCountingControllerWith is startEventCountingController with
// configure applied to the Reconciler before it is set up.
func startEventCountingControllerWith(t *testing.T, configure func(*Reconciler)) (client.Client, *requests, *eventLog) {
	t.Helper()
	counter := &requests{}
	cfg := env.Config()
	cfg.Wrap(counter.through)
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1alpha1.AddToScheme(scheme)
	recorder, err := NewEventRecorder(t.Context(), cfg, scheme)
	if err != nil {
		t.Fatal(err)
	}
	events := &eventLog{EventRecorder: recorder}
	cl := startCountedController(t, counter, func(r *Reconciler) {
		r.Events = events
		configure(r)
	})
	return cl, counter, events
}

func TestKnown(t *testing.T) {
	for _, tc := range []struct {
		name            string
		cached, verdict string
		want            bool
	}{
		{name: "the version the verdict was concluded on", cached: "311", verdict: "311", want: true},
		{name: "the cache behind capstan's own write", cached: "307", verdict: "311", want: true},
		{name: "the cache behind, shorter", cached: "99", verdict: "311", want: true},
		{name: "a newer change", cached: "318", verdict: "311"},
		{name: "a newer change, longer", cached: "1000", verdict: "311"},
		{name: "versions that do not compare, equal", cached: "a1", verdict: "a1", want: true},
		{name: "versions that do not compare", cached: "a0", verdict: "a1"},
		{name: "no verdict version", cached: "311", verdict: ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := known(tc.cached, tc.verdict); got != tc.want {
				t.Errorf("known(%q, %q) = %t, want %t", tc.cached, tc.verdict, got, tc.want)
			}
		})
	}
}

// A Service's generation stays as created, whatever its manifest set:
// another writer's change of its spec is told by what capstan owns on
// it, and healed, even when the generation it keeps is not 0.
func TestServiceSpecDriftIsHealedWhateverItsGeneration(t *testing.T) {
	cl, _ := startCountingController(t)
	const name = "svc-generation"
	healthyApp(t, cl, name, map[string]string{"guestbook/svc.yaml": `apiVersion: v1
kind: Service
metadata:
  name: web
  generation: 5
spec:
  selector: {app: web}
  ports:
  - {name: http, port: 80, targetPort: 8080}
`})
	ctx := context.Background()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	svc, err := cs.CoreV1().Services(name).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if svc.Generation != 5 {
		t.Fatalf("the Service was created with generation %d, want the manifest's 5", svc.Generation)
	}
	if _, err := cs.CoreV1().Services(name).Patch(ctx, "web", types.MergePatchType,
		[]byte(`{"spec":{"selector":{"app":"other"}}}`), metav1.PatchOptions{FieldManager: "kubectl-edit"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the Service's selector healed", func(ctx context.Context) (bool, error) {
		svc, err := cs.CoreV1().Services(name).Get(ctx, "web", metav1.GetOptions{})
		return err == nil && svc.Spec.Selector["app"] == "web", err
	})
}
