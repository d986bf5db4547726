package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/localkube"
)

// StatusWriteOptions says what StatusWrites measures.
type StatusWriteOptions struct {
	// CRDs are Application CRD files, each measured on a control plane
	// of its own.
	CRDs []string
	// BinDir holds the control plane's binaries.
	BinDir string
	// Apps is how many Applications are written, once per round.
	Apps int
	// Concurrency is how many writes are in flight, as the controller's
	// workers.
	Concurrency int
}

// StatusWrites measures what an Application's status write costs the API
// server under each Application CRD of opts: on a fresh local control
// plane per CRD, it creates Applications, writes their status as the
// controller does (a merge patch of /status: the first status after a
// sync, then two health updates), then the same update as a PUT of the
// status, then an Event of each, and prints to w kube-apiserver's CPU time
// per write. docs/performance.md ("Status without a schema") compares
// the CRD with and without a schema for status with it.
func StatusWrites(ctx context.Context, w io.Writer, opts StatusWriteOptions) error {
	for _, crd := range opts.CRDs {
		if err := statusWrites(ctx, w, crd, opts); err != nil {
			return fmt.Errorf("%s: %w", crd, err)
		}
	}
	return nil
}

func statusWrites(ctx context.Context, w io.Writer, crd string, opts StatusWriteOptions) error {
	dir, err := os.MkdirTemp("", "capstan-statuswrite-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	crds := filepath.Join(dir, "crds")
	if err := os.Mkdir(crds, 0o755); err != nil {
		return err
	}
	data, err := os.ReadFile(crd)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(crds, "applications.yaml"), data, 0o644); err != nil {
		return err
	}
	c, err := startCluster(ctx, opts.BinDir, filepath.Join(dir, "cluster"), false)
	if err != nil {
		return err
	}
	defer c.Down()
	apiserver, err := apiserverPID(c.Dir)
	if err != nil {
		return err
	}
	if err := c.installCRDs(ctx, crds); err != nil {
		return err
	}
	if err := c.createNamespace(ctx, controlNamespace); err != nil {
		return err
	}
	client := c.dyn.Resource(gvrApplication).Namespace(controlNamespace)
	set := apps(opts.Apps, "status")
	patchStatus := func(app App, patch map[string]any) error {
		data, err := json.Marshal(patch)
		if err != nil {
			return err
		}
		_, err = client.Patch(ctx, app.Name, types.MergePatchType, data, metav1.PatchOptions{}, "status")
		return err
	}
	fmt.Fprintf(w, "%s: %d Applications, %d writes in flight\n", crd, opts.Apps, opts.Concurrency)
	listed := map[string]*unstructured.Unstructured{}
	rounds := []struct {
		what string
		// prepare, when set, runs before the round is measured.
		prepare func() error
		write   func(app App) error
	}{
		{"create", nil, func(app App) error {
			_, err := client.Create(ctx, application(app, controlNamespace, statusRepo), metav1.CreateOptions{})
			return err
		}},
		{"first status", nil, func(app App) error { return patchStatus(app, firstStatus(app)) }},
		{"health update", nil, func(app App) error { return patchStatus(app, healthUpdate(app)) }},
		{"health update again", nil, func(app App) error { return patchStatus(app, healthUpdate(app)) }},
		// The same update as a PUT of the whole status, at the version
		// listed just before the round, as a controller that updates
		// rather than patches would send it.
		{"health update by PUT", func() error {
			l, err := client.List(ctx, metav1.ListOptions{})
			if err != nil {
				return err
			}
			for i := range l.Items {
				listed[l.Items[i].GetName()] = &l.Items[i]
			}
			return nil
		}, func(app App) error {
			obj := listed[app.Name]
			now := metav1.NewTime(time.Now().Truncate(time.Second))
			status := obj.Object["status"].(map[string]any)
			status["reconciledAt"] = now.UTC().Format(time.RFC3339)
			status["health"] = map[string]any{"status": "Healthy"}
			_, err := client.UpdateStatus(ctx, obj, metav1.UpdateOptions{})
			return err
		}},
		{"health update again", nil, func(app App) error { return patchStatus(app, healthUpdate(app)) }},
		// An Event of the Application, as the controller's recorder
		// creates one.
		{"event create", nil, func(app App) error {
			ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: app.Name + ".ev", Namespace: controlNamespace},
				InvolvedObject: corev1.ObjectReference{Kind: "Application", Namespace: controlNamespace, Name: app.Name, APIVersion: "argoproj.io/v1alpha1"},
				Reason:         "OperationCompleted", Message: "Sync operation to 0123456789abcdef succeeded", Type: "Normal",
				Source: corev1.EventSource{Component: "capstan-application-controller"}, FirstTimestamp: metav1.Now(), LastTimestamp: metav1.Now(), Count: 1}
			_, err := c.cs.CoreV1().Events(controlNamespace).Create(ctx, ev, metav1.CreateOptions{})
			return err
		}},
	}
	for _, r := range rounds {
		if r.prepare != nil {
			if err := r.prepare(); err != nil {
				return fmt.Errorf("%s: %w", r.what, err)
			}
		}
		before, err := OwnCPUSeconds(apiserver)
		if err != nil {
			return err
		}
		began := time.Now()
		g := errgroup.Group{}
		g.SetLimit(opts.Concurrency)
		for _, app := range set {
			g.Go(func() error { return r.write(app) })
		}
		if err := g.Wait(); err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		after, err := OwnCPUSeconds(apiserver)
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-20s %6.2f s, kube-apiserver %6.2f CPU s, %5.2f ms per request\n",
			r.what, time.Since(began).Seconds(), after-before, (after-before)*1000/float64(opts.Apps))
	}
	return nil
}

func apiserverPID(dir string) (int, error) {
	procs, err := localkube.Processes(dir)
	if err != nil {
		return 0, err
	}
	for _, p := range procs {
		if p.Name == "kube-apiserver" {
			return p.PID, nil
		}
	}
	return 0, fmt.Errorf("no kube-apiserver among the processes of %s", dir)
}

// statusRepo is the repository the measured Applications name; nothing
// reads it.
const statusRepo = "http://127.0.0.1:8080/apps.git"

// statusSource is what app's Application deploys.
func statusSource(app App) v1alpha1.ApplicationSource {
	return v1alpha1.ApplicationSource{RepoURL: statusRepo, Path: app.Path, TargetRevision: "HEAD"}
}

// statusObjects are the five objects of a W1 Application: group, kind, name.
var statusObjects = [][3]string{{"", "ConfigMap", "settings"}, {"", "Service", "web"}, {"", "ServiceAccount", "web"},
	{"apps", "Deployment", "web"}, {"rbac.authorization.k8s.io", "Role", "web"}}

// statusRevision is the commit the measured Applications are synced to.
const statusRevision = "0123456789abcdef0123456789abcdef01234567"

// statusResources is status.resources of a W1 Application whose Deployment and
// Service have the health given.
func statusResources(app App, health v1alpha1.HealthStatusCode) []v1alpha1.ResourceStatus {
	var out []v1alpha1.ResourceStatus
	for _, o := range statusObjects {
		rs := v1alpha1.ResourceStatus{Group: o[0], Version: "v1", Kind: o[1], Namespace: app.Namespace, Name: o[2], Status: v1alpha1.SyncStatusCodeSynced}
		if o[1] == "Deployment" || o[1] == "Service" {
			rs.Health = &v1alpha1.HealthStatus{Status: health}
		}
		out = append(out, rs)
	}
	return out
}

// firstStatus is the status the pass that syncs a new W1 Application writes.
func firstStatus(app App) map[string]any {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	var results v1alpha1.ResourceResults
	for _, o := range statusObjects {
		results = append(results, v1alpha1.ResourceResult{Group: o[0], Version: "v1", Kind: o[1], Namespace: app.Namespace, Name: o[2],
			Status: v1alpha1.ResultCodeSynced, Message: o[1] + "/" + o[2] + " created", SyncPhase: v1alpha1.SyncPhaseSync})
	}
	return map[string]any{"status": v1alpha1.ApplicationStatus{
		Resources: statusResources(app, v1alpha1.HealthStatusProgressing),
		Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: statusRevision,
			ComparedTo: v1alpha1.ComparedTo{Source: statusSource(app), Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: app.Namespace}}},
		Health:       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusProgressing},
		History:      v1alpha1.RevisionHistories{{Revision: statusRevision, DeployedAt: now, DeployStartedAt: &now, Source: statusSource(app), InitiatedBy: v1alpha1.OperationInitiator{Automated: true}}},
		ReconciledAt: &now,
		OperationState: &v1alpha1.OperationState{
			Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: statusRevision, Prune: true},
				InitiatedBy: v1alpha1.OperationInitiator{Automated: true}, Retry: v1alpha1.RetryStrategy{Limit: 5}},
			Phase: v1alpha1.OperationSucceeded, Message: "successfully synced (all tasks run)", StartedAt: now, FinishedAt: &now,
			SyncResult: &v1alpha1.SyncOperationResult{Resources: results, Revision: statusRevision, Source: statusSource(app)},
		},
		SourceType:          v1alpha1.ApplicationSourceTypeDirectory,
		Summary:             v1alpha1.ApplicationSummary{Images: []string{"registry.example/web:1.0"}},
		ControllerNamespace: controlNamespace,
	}}
}

// healthUpdate is what a merge patch from firstStatus carries once the
// Deployment is Healthy: the health, status.resources (a list, replaced
// whole) and the time of the comparison.
func healthUpdate(app App) map[string]any {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	return map[string]any{"status": map[string]any{
		"health":       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy},
		"resources":    statusResources(app, v1alpha1.HealthStatusHealthy),
		"reconciledAt": now,
	}}
}
