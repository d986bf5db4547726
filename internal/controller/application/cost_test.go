package application

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// A commit that changes one object of an Application in sync costs one
// apply and one status write (DESIGN.md: API calls per sync ≤ objects
// changed + 1 status write).
func TestSyncCostsTheChangedObjectsAndOneStatusWrite(t *testing.T) {
	cl, requests := startCountingController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := syncedConfigMaps(t, cl, requests, "cost", 5)
	synced := appStatus(t, cl, "cost").Status.Sync.Revision

	before := requests.n.Load()
	repo.Commit(t, "main", map[string]string{"guestbook/cm2.yaml": configMap("cm2", "2")}, "change one")
	waitFor(t, "the change applied and recorded", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "cost")
		return a.Status.Sync.Revision != synced && a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced &&
			a.Status.OperationState.SyncResult.Revision == a.Status.Sync.Revision, nil
	})
	time.Sleep(2 * time.Second) // any pass the writes bring about
	made := requests.since(before)
	cm, err := cs.CoreV1().ConfigMaps("cost").Get(context.Background(), "cm2", metav1.GetOptions{})
	if err != nil || cm.Data["v"] != "2" {
		t.Fatalf("cm2 not changed: %v", err)
	}
	if len(made) > 2 {
		t.Errorf("one changed object cost %d API requests, want ≤ 2 (1 apply + 1 status write):\n%s", len(made), strings.Join(made, "\n"))
	}
	t.Logf("one changed object: %d API requests: %v", len(made), made)
}

// A new Application's first sync reads nothing of its destination: the
// watch of the cluster's namespaces says that its namespace is missing, so
// none of its objects can exist yet, and the namespace is created without
// a look. Its requests there are the namespace's apply and one apply per
// object.
func TestFirstSyncReadsNothingOfItsDestination(t *testing.T) {
	cl, requests := startCountingController(t)
	syncedConfigMaps(t, cl, requests, "first-sync", 3)
	there := requests.in("first-sync")
	applies := 0
	for _, r := range there {
		if !strings.HasPrefix(r, "PATCH ") {
			t.Errorf("the first sync made %s; want only applies in namespace first-sync:\n%s", r, strings.Join(there, "\n"))
			break
		}
		applies++
	}
	if applies != 4 {
		t.Errorf("%d applies in namespace first-sync, want 4 (the namespace, 3 ConfigMaps):\n%s", applies, strings.Join(there, "\n"))
	}
}

// A workload's rollout after its first sync is followed from the watch,
// which keeps what its health check reads: the Application becomes
// Healthy without a read of the Deployment, StatefulSet or DaemonSet.
func TestRolloutIsFollowedWithoutReads(t *testing.T) {
	cl, requests := startCountingController(t)
	for name, manifest := range map[string]string{
		"rollout-deployment":  deploymentYAML("web", "registry.invalid/web:1.0", 2),
		"rollout-statefulset": workloadYAML("StatefulSet", "db", "registry.invalid/db:1.0", "  serviceName: db\n  replicas: 2\n"),
		"rollout-daemonset":   workloadYAML("DaemonSet", "agent", "registry.invalid/agent:1.0", ""),
	} {
		t.Run(name, func(t *testing.T) {
			healthyApp(t, cl, name, map[string]string{"guestbook/workload.yaml": manifest})
			requests.waitQuiet()
			var reads []string
			for _, r := range requests.in(name) {
				if strings.HasPrefix(r, "GET ") {
					reads = append(reads, r)
				}
			}
			if len(reads) > 0 {
				t.Errorf("the rollout was read %d times, want none:\n%s", len(reads), strings.Join(reads, "\n"))
			}
		})
	}
}

// workloadYAML is a workload of kind with one container running image,
// its spec starting with the lines spec.
func workloadYAML(kind, name, image, spec string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: %[1]s
metadata:
  name: %[2]s
spec:
%[3]s  selector:
    matchLabels: {app: %[2]s}
  template:
    metadata:
      labels: {app: %[2]s}
    spec:
      containers:
      - name: %[2]s
        image: %[4]s
`, kind, name, spec, image)
}

// healthyApp creates the automated Application name, deploying files from
// a repository of its own to the namespace name, and waits until it is
// Synced and Healthy.
func healthyApp(t *testing.T, cl client.Client, name string, files map[string]string) *gitserver.Repo {
	t.Helper()
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	repo.Commit(t, "main", files, name)
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp(name, repo.URL(), name)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, name+" Synced and Healthy", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, name)
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
	})
	return repo
}

// configMap is a ConfigMap's manifest with one data value.
func configMap(name, value string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata: {v: %q}\n", name, value)
}

// waitSucceeded waits for the Application to be Synced by a sync that
// succeeded.
func waitSucceeded(t *testing.T, cl client.Client, name string) {
	t.Helper()
	waitFor(t, name+" Synced", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, name)
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.OperationState != nil && a.Status.OperationState.Phase == v1alpha1.OperationSucceeded, nil
	})
}

// waitQuiet waits until the controller has made no request for two
// periods of 1.5 s: the passes that follow a sync have settled.
func (r *requests) waitQuiet() {
	for quiet := 0; quiet < 2; {
		before := r.n.Load()
		time.Sleep(1500 * time.Millisecond)
		if r.n.Load() == before {
			quiet++
		}
	}
}

// syncedConfigMaps creates the Application name, deploying n ConfigMaps
// (cm0, cm1...) from a repository of its own to the namespace name, and
// returns the repository once the Application is synced and the
// controller quiet.
func syncedConfigMaps(t *testing.T, cl client.Client, requests *requests, name string, n int) *gitserver.Repo {
	t.Helper()
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("guestbook/cm%d.yaml", i)] = configMap(fmt.Sprintf("cm%d", i), "1")
	}
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	repo.Commit(t, "main", files, "ConfigMaps")
	repo.SetHead(t, "main")
	if err := cl.Create(context.Background(), seedApp(name, repo.URL(), name)); err != nil {
		t.Fatal(err)
	}
	waitSucceeded(t, cl, name)
	requests.waitQuiet()
	return repo
}

// The controller's status writes own status as one field: the CRD makes
// status an atomic map, so the managed-fields entry that each write
// updates stays {"f:status":{}} however large the status grows, where a
// field-by-field entry held about 0.9 KB of each Application and made
// each status write cost the API server about a third more
// (docs/performance.md, "Status as one field").
func TestStatusWritesOwnStatusAsOneField(t *testing.T) {
	cl, requests := startCountingController(t)
	syncedConfigMaps(t, cl, requests, "status-field", 2)
	// Read from the API server: the controller's cache leaves out managed fields.
	apps := metadata.NewForConfigOrDie(env.Config()).Resource(v1alpha1.GroupVersion.WithResource("applications"))
	app, err := apps.Namespace(controlPlane).Get(context.Background(), "status-field", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for _, e := range app.ManagedFields {
		if e.Subresource == "status" && e.FieldsV1 != nil {
			entries = append(entries, e.Manager+" "+string(e.FieldsV1.Raw))
		}
	}
	if len(entries) != 1 || !strings.HasSuffix(entries[0], ` {"f:status":{}}`) {
		t.Errorf("managed-fields entries of the status: %q, want one, of {\"f:status\":{}}", entries)
	}
}
