package cli

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// killGate is the node label the gate hook's Pod waits for: until the test
// sets it, the hook's Job cannot run, and the sync waits on it.
const killGate = "capstan.dev/kill-test-gate"

// hookJob is a Job hook of phase, named by generateName when generated;
// a gated one runs only on a node labelled killGate.
func hookJob(name, phase, wave string, generated, gated bool) string {
	meta := "  name: " + name + "\n"
	if generated {
		meta = "  generateName: " + name + "-\n"
	}
	selector := ""
	if gated {
		selector = "      nodeSelector: {" + killGate + ": \"open\"}\n"
	}
	return `apiVersion: batch/v1
kind: Job
metadata:
` + meta + `  annotations:
    argocd.argoproj.io/hook: ` + phase + `
    argocd.argoproj.io/sync-wave: "` + wave + `"
spec:
  template:
    spec:
      restartPolicy: Never
` + selector + `      containers:
      - name: run
        image: run:1
`
}

// A controller killed (SIGKILL, no chance to write anything) while a wave
// waits on a hook resumes the operation when it starts again: the hooks
// that already ran are not created again, and the sync finishes.
func TestKilledMidSyncResumes(t *testing.T) {
	const namespace, dest = "capstan-killsync", "killsync"
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cl := clusterClient(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "killsync")
	repo.Commit(t, "main", map[string]string{
		"app/pre.yaml":   hookJob("pre", "PreSync", "0", true, false),
		"app/gate.yaml":  hookJob("gate", "Sync", "0", false, true),
		"app/after.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: after\n  annotations: {argocd.argoproj.io/sync-wave: \"1\"}\n",
		"app/post.yaml":  hookJob("post", "PostSync", "0", true, false),
	}, "hooks around a gate")
	repo.SetHead(t, "main")
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: dest}},
	} {
		if err := cl.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	created := jobsCreated(t, cs, dest)
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: "killsync", Namespace: namespace},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "HEAD", Path: "app"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: dest},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{}},
		},
	}
	if err := cl.Create(ctx, app); err != nil {
		t.Fatal(err)
	}
	operation := func() *v1alpha1.OperationState {
		a := &v1alpha1.Application{}
		if err := cl.Get(ctx, client.ObjectKeyFromObject(app), a); err != nil || a.Status.OperationState == nil {
			return &v1alpha1.OperationState{}
		}
		return a.Status.OperationState
	}
	first := startReplica(t, "first", namespace, "--leader-elect=false")
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		os := operation()
		return os.Phase == v1alpha1.OperationRunning && strings.Contains(os.Message, "Job "+dest+"/gate"), nil
	})
	if err != nil {
		first.tail(t)
		t.Fatalf("the sync did not come to wait on the gate hook: %v (%+v)", err, operation())
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-first.exited
	first.exited <- nil

	nodes, err := cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil || len(nodes.Items) == 0 {
		t.Fatalf("no node to open the gate on: %v", err)
	}
	node := nodes.Items[0].Name
	label := func(value string) {
		patch := `{"metadata":{"labels":{"` + killGate + `":` + value + `}}}`
		if _, err := cs.CoreV1().Nodes().Patch(context.Background(), node, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	label(`"open"`)
	t.Cleanup(func() { label("null") })

	second := startReplica(t, "second", namespace, "--leader-elect=false")
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		return operation().Phase.Completed(), nil
	})
	os := operation()
	if err != nil || os.Phase != v1alpha1.OperationSucceeded {
		second.tail(t)
		t.Fatalf("after the restart the sync did not succeed: %v, %s %q", err, os.Phase, os.Message)
	}
	names := created()
	perHook := map[string]int{}
	for _, name := range names {
		perHook[strings.SplitN(name, "-", 2)[0]]++
	}
	for _, hook := range []string{"pre", "gate", "post"} {
		if perHook[hook] != 1 {
			t.Errorf("Job %s* created %d times, want once; Jobs created: %v", hook, perHook[hook], names)
		}
	}
}

// clusterClient reads and writes the test cluster, Applications included.
func clusterClient(t *testing.T) client.Client {
	t.Helper()
	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = v1alpha1.AddToScheme(scheme)
	cl, err := client.New(env.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return cl
}

// jobsCreated records the name of every Job created in ns from now on.
func jobsCreated(t *testing.T, cs kubernetes.Interface, ns string) func() []string {
	t.Helper()
	w, err := cs.BatchV1().Jobs(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	var mu sync.Mutex
	var names []string
	go func() {
		for ev := range w.ResultChan() {
			if obj, ok := ev.Object.(metav1.Object); ok && ev.Type == watch.Added {
				mu.Lock()
				names = append(names, obj.GetName())
				mu.Unlock()
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), names...)
	}
}
