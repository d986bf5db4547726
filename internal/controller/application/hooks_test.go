package application

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// Checks are objects of a custom kind used as hooks: their health comes
// from their status conditions, which the tests set. Each test installs
// the kind in a group of its own (a CRD removed by one test and installed
// again by the next would leave the controller's discovery behind).

// checkYAML is a Check of group whose Ready condition has the given status.
func checkYAML(group, name, hook, ready string, annotations string) string {
	return `apiVersion: ` + group + `/v1
kind: Check
metadata:
  name: ` + name + `
  annotations:
    argocd.argoproj.io/hook: ` + hook + `
` + annotations + `status:
  conditions: [{type: Ready, status: "` + ready + `", reason: Failed, message: "check ` + name + ` is ` + ready + `"}]
`
}

// dynamicChecks reads and writes the Checks of group.
func dynamicChecks(t *testing.T, group string) dynamic.NamespaceableResourceInterface {
	t.Helper()
	return dynamic.NewForConfigOrDie(env.Config()).Resource(schema.GroupVersionResource{Group: group, Version: "v1", Resource: "checks"})
}

// generatedJob is a hook Job named by generateName, as in the sync-waves
// example app.
func generatedJob(prefix, hook string, wave int, policy string) string {
	ann := "    argocd.argoproj.io/hook: " + hook + "\n    argocd.argoproj.io/sync-wave: \"" + string(rune('0'+wave)) + "\"\n"
	if policy != "" {
		ann += "    argocd.argoproj.io/hook-delete-policy: " + policy + "\n"
	}
	return `apiVersion: batch/v1
kind: Job
metadata:
  generateName: ` + prefix + `
  annotations:
` + ann + `spec:
  template:
    spec:
      restartPolicy: Never
      containers:
      - name: run
        image: run:1
`
}

// jobsNamed lists the Jobs of ns whose name starts with prefix.
func jobsNamed(t *testing.T, cs kubernetes.Interface, ns, prefix string) []string {
	t.Helper()
	list, err := cs.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range list.Items {
		if strings.HasPrefix(j.Name, prefix) {
			out = append(out, j.Name)
		}
	}
	return out
}

// Hooks named by generateName run across waves, a hook of a custom kind
// is waited for until its health says it finished, a Skip hook is never
// created, HookSucceeded deletes a hook once it succeeded, and the next
// sync creates the hooks again (BeforeHookCreation replaces a named one)
// without the earlier runs making the Application OutOfSync.
func TestHooksAcrossWaves(t *testing.T) {
	const group = "waves.hooks.capstan.dev"
	installCRD(t, group, "Check", "checks")
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	files := map[string]string{
		"guestbook/schema.yaml":   generatedJob("upgrade-sql-schema-", "PreSync", 0, ""),
		"guestbook/backend.yaml":  withWave(configMapYAML("backend", nil), 1),
		"guestbook/maint.yaml":    generatedJob("maint-page-up-", "Sync", 2, ""),
		"guestbook/gate.yaml":     checkYAML(group, "gate", "Sync", "Unknown", "    argocd.argoproj.io/sync-wave: \"3\"\n"),
		"guestbook/frontend.yaml": withWave(configMapYAML("frontend", nil), 4),
		"guestbook/down.yaml":     generatedJob("maint-page-down-", "PostSync", 0, "HookSucceeded"),
		"guestbook/before.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: before
  annotations: {argocd.argoproj.io/hook: PreSync}
`,
		"guestbook/debug.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: debug
  annotations: {argocd.argoproj.io/hook: Skip}
`,
	}
	repo := gitserver.NewRepo(t, t.TempDir(), "hooks")
	repo.Commit(t, "main", files, "hooks")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("hooks", repo.URL(), "hooks")); err != nil {
		t.Fatal(err)
	}

	var os *v1alpha1.OperationState
	waitFor(t, "the operation to wait for the Check hook", func(context.Context) (bool, error) {
		os = operation(t, appStatus(t, cl, "hooks"))
		return os.Phase == v1alpha1.OperationRunning && strings.Contains(os.Message, "Check hooks/gate"), nil
	})
	for _, prefix := range []string{"upgrade-sql-schema-", "maint-page-up-"} {
		names := jobsNamed(t, cs, "hooks", prefix)
		if len(names) != 1 {
			t.Fatalf("Jobs named %s*: %v, want one", prefix, names)
		}
		if rr := resultOf(os, "Job", names[0]); rr == nil || rr.HookPhase != v1alpha1.OperationSucceeded {
			t.Errorf("result of the generated hook %s: %+v", names[0], rr)
		}
	}
	if rr := resultOf(os, "ConfigMap", "frontend"); rr != nil {
		t.Errorf("wave 4 ran while the wave 3 hook runs: %+v", rr)
	}
	if _, err := dynamicChecks(t, group).Namespace("hooks").Patch(ctx, "gate", types.MergePatchType,
		[]byte(`{"status":{"conditions":[{"type":"Ready","status":"True"}]}}`), metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the operation to succeed", func(context.Context) (bool, error) {
		os = operation(t, appStatus(t, cl, "hooks"))
		return os.Phase == v1alpha1.OperationSucceeded, nil
	})
	if _, err := cs.CoreV1().ConfigMaps("hooks").Get(ctx, "debug", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Skip hook was created (err %v)", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("hooks").Get(ctx, "frontend", metav1.GetOptions{}); err != nil {
		t.Errorf("wave 4: %v", err)
	}
	waitFor(t, "the PostSync hook deleted once it succeeded (HookSucceeded)", func(context.Context) (bool, error) {
		return len(jobsNamed(t, cs, "hooks", "maint-page-down-")) == 0, nil
	})
	before, err := cs.CoreV1().ConfigMaps("hooks").Get(ctx, "before", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}

	files["guestbook/backend.yaml"] = withWave(configMapYAML("backend", nil), 1) + "  changed: \"yes\"\n"
	files["guestbook/gate.yaml"] = checkYAML(group, "gate", "Sync", "True", "    argocd.argoproj.io/sync-wave: \"3\"\n")
	repo.Commit(t, "main", files, "again")
	waitFor(t, "the second sync to succeed, Synced", func(context.Context) (bool, error) {
		app := appStatus(t, cl, "hooks")
		os = operation(t, app)
		return os.Phase == v1alpha1.OperationSucceeded && len(app.Status.History) == 2 && app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
	})
	if names := jobsNamed(t, cs, "hooks", "upgrade-sql-schema-"); len(names) != 2 {
		t.Errorf("Jobs of the PreSync hook after two syncs: %v, want one per sync", names)
	}
	again, err := cs.CoreV1().ConfigMaps("hooks").Get(ctx, "before", metav1.GetOptions{})
	if err != nil || again.UID == before.UID {
		t.Errorf("the named hook was not created again (BeforeHookCreation): %v", err)
	}
}

// A failed hook is deleted under HookFailed; the sync fails and runs its
// SyncFail hook, named by generateName, whose name is in the result.
func TestFailedHookDeletedAndSyncFailRuns(t *testing.T) {
	const group = "failed.hooks.capstan.dev"
	installCRD(t, group, "Check", "checks")
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	repo := gitserver.NewRepo(t, t.TempDir(), "hookfailed")
	repo.Commit(t, "main", map[string]string{
		"guestbook/doomed.yaml": checkYAML(group, "doomed", "PreSync", "False", "    argocd.argoproj.io/hook-delete-policy: HookFailed\n"),
		"guestbook/app.yaml":    configMapYAML("app", nil),
		"guestbook/alert.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  generateName: alert-
  annotations: {argocd.argoproj.io/hook: SyncFail}
`,
	}, "a failing hook")
	repo.SetHead(t, "main")
	if err := cl.Create(ctx, seedApp("hookfailed", repo.URL(), "hookfailed")); err != nil {
		t.Fatal(err)
	}
	var os *v1alpha1.OperationState
	waitFor(t, "the failed operation", func(context.Context) (bool, error) {
		os = operation(t, appStatus(t, cl, "hookfailed"))
		// (An attempt made before the cluster knew the kind fails too,
		// and is tried again.)
		return os.Phase == v1alpha1.OperationFailed && strings.Contains(os.Message, "Check hookfailed/doomed failed"), nil
	})
	waitFor(t, "the failed hook deleted (HookFailed)", func(context.Context) (bool, error) {
		_, err := dynamicChecks(t, group).Namespace("hookfailed").Get(ctx, "doomed", metav1.GetOptions{})
		return apierrors.IsNotFound(err), nil
	})
	var alert string
	for _, rr := range os.SyncResult.Resources {
		if rr.SyncPhase == v1alpha1.SyncPhaseSyncFail && strings.HasPrefix(rr.Name, "alert-") {
			alert = rr.Name
		}
	}
	if alert == "" {
		t.Fatalf("no SyncFail hook in the results: %+v", os.SyncResult.Resources)
	}
	if _, err := cs.CoreV1().ConfigMaps("hookfailed").Get(ctx, alert, metav1.GetOptions{}); err != nil {
		t.Errorf("SyncFail hook %s: %v", alert, err)
	}
	if _, err := cs.CoreV1().ConfigMaps("hookfailed").Get(ctx, "app", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the Sync phase ran after its PreSync hook failed (err %v)", err)
	}
}
