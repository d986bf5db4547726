// Command statuswrite measures what an Application's status write costs
// the API server under a given Application CRD: for each CRD file named,
// it starts a fresh local control plane, installs the CRD, creates
// Applications, writes their status as the controller does (a merge
// patch of /status: the first status after a sync, then two health
// updates) and prints kube-apiserver's CPU time per write. It is how
// docs/performance.md ("Status without a schema") compares the CRD with
// and without a schema for status:
//
//	git show 47aa5f2:config/crd/argoproj.io_applications.yaml > /tmp/with-schema.yaml
//	go run ./hack/statuswrite /tmp/with-schema.yaml config/crd/argoproj.io_applications.yaml
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/errgroup"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/bench"
	"github.com/capstan-cd/capstan/internal/localkube"
	"github.com/capstan-cd/capstan/internal/testenv"
)

func main() {
	apps := flag.Int("apps", 1000, "Applications, each written once per round")
	concurrency := flag.Int("concurrency", 10, "writes in flight, as the controller's workers")
	binDir := flag.String("bin-dir", "bin", "directory of the control plane's binaries")
	flag.Parse()
	ctrllog.SetLogger(logr.Discard())
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: statuswrite [flags] CRD-FILE...")
		os.Exit(2)
	}
	for _, crd := range flag.Args() {
		if err := measure(context.Background(), crd, *binDir, *apps, *concurrency); err != nil {
			fmt.Fprintln(os.Stderr, "statuswrite:", err)
			os.Exit(1)
		}
	}
}

// measure runs the rounds of writes on a fresh control plane with crd.
func measure(ctx context.Context, crd, binDir string, apps, concurrency int) error {
	dir, err := os.MkdirTemp("", "statuswrite-")
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
	abs, err := filepath.Abs(binDir)
	if err != nil {
		return err
	}
	c, err := localkube.Up(ctx, localkube.Options{BinDir: abs, Dir: filepath.Join(dir, "cluster"), KillWithParent: true})
	if err != nil {
		return err
	}
	defer c.Down()
	apiserver, err := apiserverPID(c.Dir)
	if err != nil {
		return err
	}
	if err := testenv.InstallCRDs(ctx, c.Config(), crds); err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := errors.Join(v1alpha1.AddToScheme(scheme), corev1.AddToScheme(scheme)); err != nil {
		return err
	}
	cl, err := client.New(c.Config(), client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "argocd"}}); err != nil {
		return err
	}
	fmt.Printf("%s: %d Applications, %d writes in flight\n", crd, apps, concurrency)
	rounds := []struct {
		what  string
		write func(i int) error
	}{
		{"create", func(i int) error { return cl.Create(ctx, application(i)) }},
		{"first status", func(i int) error { return writeStatus(ctx, cl, i, firstStatus(i)) }},
		{"health update", func(i int) error { return writeStatus(ctx, cl, i, healthUpdate(i)) }},
		{"health update again", func(i int) error { return writeStatus(ctx, cl, i, healthUpdate(i)) }},
	}
	for _, r := range rounds {
		before, err := bench.OwnCPUSeconds(apiserver)
		if err != nil {
			return err
		}
		began := time.Now()
		g := errgroup.Group{}
		g.SetLimit(concurrency)
		for i := range apps {
			g.Go(func() error { return r.write(i) })
		}
		if err := g.Wait(); err != nil {
			return fmt.Errorf("%s: %w", r.what, err)
		}
		after, err := bench.OwnCPUSeconds(apiserver)
		if err != nil {
			return err
		}
		fmt.Printf("  %-20s %6.2f s, kube-apiserver %6.2f CPU s, %5.2f ms per request\n",
			r.what, time.Since(began).Seconds(), after-before, (after-before)*1000/float64(apps))
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

func name(i int) string { return fmt.Sprintf("app-%04d", i) }

// source is what W1's Applications deploy from.
func source(i int) v1alpha1.ApplicationSource {
	return v1alpha1.ApplicationSource{RepoURL: "http://127.0.0.1:8080/apps.git", Path: "apps/" + name(i), TargetRevision: "HEAD"}
}

func application(i int) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name(i), Namespace: "argocd"},
		Spec: v1alpha1.ApplicationSpec{
			Project: "default", Source: ptr(source(i)),
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: name(i)},
			SyncPolicy: &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
				SyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"}},
		},
	}
}

func ptr[T any](v T) *T { return &v }

// w1 are the five objects of a W1 Application: group, kind, name.
var w1 = [][3]string{{"", "ConfigMap", "settings"}, {"", "Service", "web"}, {"", "ServiceAccount", "web"},
	{"apps", "Deployment", "web"}, {"rbac.authorization.k8s.io", "Role", "web"}}

const revision = "0123456789abcdef0123456789abcdef01234567"

// resources is status.resources of a W1 Application whose Deployment and
// Service have the health given.
func resources(i int, health v1alpha1.HealthStatusCode) []v1alpha1.ResourceStatus {
	var out []v1alpha1.ResourceStatus
	for _, o := range w1 {
		rs := v1alpha1.ResourceStatus{Group: o[0], Version: "v1", Kind: o[1], Namespace: name(i), Name: o[2], Status: v1alpha1.SyncStatusCodeSynced}
		if o[1] == "Deployment" || o[1] == "Service" {
			rs.Health = &v1alpha1.HealthStatus{Status: health}
		}
		out = append(out, rs)
	}
	return out
}

// firstStatus is the status the pass that syncs a new W1 Application writes.
func firstStatus(i int) map[string]any {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	var results v1alpha1.ResourceResults
	for _, o := range w1 {
		results = append(results, v1alpha1.ResourceResult{Group: o[0], Version: "v1", Kind: o[1], Namespace: name(i), Name: o[2],
			Status: v1alpha1.ResultCodeSynced, Message: o[1] + "/" + o[2] + " created", SyncPhase: v1alpha1.SyncPhaseSync})
	}
	return map[string]any{"status": v1alpha1.ApplicationStatus{
		Resources: resources(i, v1alpha1.HealthStatusProgressing),
		Sync: v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: revision,
			ComparedTo: v1alpha1.ComparedTo{Source: source(i), Destination: application(i).Spec.Destination}},
		Health:       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusProgressing},
		History:      v1alpha1.RevisionHistories{{Revision: revision, DeployedAt: now, DeployStartedAt: &now, Source: source(i), InitiatedBy: v1alpha1.OperationInitiator{Automated: true}}},
		ReconciledAt: &now,
		OperationState: &v1alpha1.OperationState{
			Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: revision, Prune: true},
				InitiatedBy: v1alpha1.OperationInitiator{Automated: true}, Retry: v1alpha1.RetryStrategy{Limit: 5}},
			Phase: v1alpha1.OperationSucceeded, Message: "successfully synced (all tasks run)", StartedAt: now, FinishedAt: &now,
			SyncResult: &v1alpha1.SyncOperationResult{Resources: results, Revision: revision, Source: source(i)},
		},
		SourceType:          v1alpha1.ApplicationSourceTypeDirectory,
		Summary:             v1alpha1.ApplicationSummary{Images: []string{"registry.example/web:1.0"}},
		ControllerNamespace: "argocd",
	}}
}

// healthUpdate is what a merge patch from firstStatus carries once the
// Deployment is Healthy: the health, status.resources (a list, replaced
// whole) and the time of the comparison.
func healthUpdate(i int) map[string]any {
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	return map[string]any{"status": map[string]any{
		"health":       v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy},
		"resources":    resources(i, v1alpha1.HealthStatusHealthy),
		"reconciledAt": now,
	}}
}

func writeStatus(ctx context.Context, cl client.Client, i int, patch map[string]any) error {
	data, err := json.Marshal(patch)
	if err != nil {
		return err
	}
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: name(i), Namespace: "argocd"}}
	return cl.Status().Patch(ctx, app, client.RawPatch(types.MergePatchType, data))
}
