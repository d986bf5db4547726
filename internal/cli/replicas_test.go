package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// replicaEnv makes the test binary run capstan with its arguments instead
// of the tests: each replica is a process of its own, as in a Deployment,
// built from the code under test.
const replicaEnv = "CAPSTAN_TEST_REPLICA"

func init() {
	if os.Getenv(replicaEnv) != "1" {
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	cmd := NewRootCommand()
	cmd.SetArgs(os.Args[1:])
	err := cmd.ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "capstan:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// replica is one `capstan controller` process.
type replica struct {
	name    string
	metrics string
	log     string
	cmd     *exec.Cmd
	exited  chan error
}

// startReplica runs `capstan controller` with leader election against the
// test cluster, in namespace, until stopped or the test ends; flags are
// added to (and override) the defaults.
func startReplica(t *testing.T, name, namespace string, flags ...string) *replica {
	t.Helper()
	return startCommand(t, "controller", name, namespace, flags...)
}

// startCommand is startReplica for another command (run serves the
// webhook too).
func startCommand(t *testing.T, command, name, namespace string, flags ...string) *replica {
	t.Helper()
	return startCommandIn(t, "", command, name, namespace, flags...)
}

// startCommandIn is startCommand in the cgroup directory cgroup, when not
// empty: a shell moves itself there, then becomes capstan, which so starts
// in it as in a container.
func startCommandIn(t *testing.T, cgroup, command, name, namespace string, flags ...string) *replica {
	t.Helper()
	r := &replica{name: name, metrics: freeAddress(t), log: filepath.Join(t.TempDir(), name+".log"), exited: make(chan error, 1)}
	logFile, err := os.Create(r.log)
	if err != nil {
		t.Fatal(err)
	}
	r.cmd = exec.Command(os.Args[0], command, "--kubeconfig", env.Cluster.Kubeconfig, "--namespace", namespace,
		"--leader-elect=true", "--metrics-bind-address", r.metrics, "--health-probe-bind-address", "127.0.0.1:0",
		"--cache-dir", t.TempDir(), "--allow-file-repositories")
	r.cmd.Args = append(r.cmd.Args, flags...)
	if cgroup != "" {
		r.cmd = exec.Command("/bin/sh", append([]string{"-c", `echo $$ > "$0/cgroup.procs" && exec "$@"`, cgroup}, r.cmd.Args...)...)
	}
	r.cmd.Env = append(os.Environ(), replicaEnv+"=1")
	r.cmd.Stdout, r.cmd.Stderr = logFile, logFile
	// A test binary that dies takes its replicas with it.
	r.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.exited <- r.cmd.Wait(); logFile.Close() }()
	t.Cleanup(func() {
		if err := r.stop(); err != nil {
			t.Logf("replica %s: %v", name, err)
		}
	})
	return r
}

// stop ends the replica as Kubernetes does, with SIGTERM, and waits for it.
func (r *replica) stop() error {
	if r.cmd.ProcessState != nil {
		return nil
	}
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-r.exited:
		r.exited <- err // for a second stop
		return err
	case <-time.After(30 * time.Second):
		_ = r.cmd.Process.Kill()
		return errors.New("did not stop within 30s of SIGTERM; killed")
	}
}

// metric sums the samples of a metric whose labels include labels (or,
// with labels empty, of a metric without labels too), from the replica's
// /metrics; ok is false while the endpoint does not answer.
func (r *replica) metric(name, labels string) (sum float64, ok bool) {
	resp, err := http.Get("http://" + r.metrics + "/metrics")
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	s := bufio.NewScanner(resp.Body)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		line := s.Text()
		labelled := strings.HasPrefix(line, name+"{") && strings.Contains(line, labels)
		if !labelled && (labels != "" || !strings.HasPrefix(line, name+" ")) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if err == nil {
			sum += v
		}
	}
	return sum, resp.StatusCode == http.StatusOK
}

// leads reports whether the replica holds the leader Lease, by its own
// account; reconciles counts the Application reconciles it ran.
func (r *replica) leads() (bool, bool) {
	v, ok := r.metric("leader_election_master_status", `name="capstan-controller"`)
	return v == 1, ok
}

func (r *replica) reconciles() float64 {
	v, _ := r.metric("controller_runtime_reconcile_total", `controller="application"`)
	return v
}

// reconciled waits up to 10 seconds for the replica to count a finished
// reconcile.
func reconciled(ctx context.Context, r *replica) bool {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return r.reconciles() > 0, nil
	})
	return err == nil
}

func (r *replica) tail(t *testing.T) {
	data, _ := os.ReadFile(r.log)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	t.Logf("replica %s, last lines of its log:\n%s", r.name, strings.Join(lines, "\n"))
}

// TestTwoReplicasElectOneLeader runs two `capstan controller` processes
// with leader election on one cluster: exactly one holds the Lease and
// reconciles; when it is stopped, the other takes the Lease over and syncs
// a commit made after.
func TestTwoReplicasElectOneLeader(t *testing.T) {
	const namespace = "capstan-replicas"
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cl := clusterClient(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	repo := gitserver.NewRepo(t, t.TempDir(), "apps")
	repo.Commit(t, "main", guestbook, "guestbook")
	repo.SetHead(t, "main")
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}},
		// An hour between polls: only a leader's first look or a refresh
		// brings a commit in.
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: namespace}, Data: map[string]string{"timeout.reconciliation": "1h"}},
		&v1alpha1.Application{
			ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: namespace},
			Spec: v1alpha1.ApplicationSpec{
				Project:     "default",
				Source:      &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "HEAD", Path: "guestbook"},
				Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "replicas-guestbook"},
				SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}, SyncOptions: []string{"CreateNamespace=true"}},
			},
		},
	} {
		if err := cl.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	replicas := []*replica{startReplica(t, "a", namespace), startReplica(t, "b", namespace)}
	defer func() {
		if t.Failed() {
			for _, r := range replicas {
				r.tail(t)
			}
		}
	}()

	replicasOf := func(ctx context.Context) (int32, error) {
		d, err := cs.AppsV1().Deployments("replicas-guestbook").Get(ctx, "guestbook-ui", metav1.GetOptions{})
		if err != nil {
			return 0, nil
		}
		return *d.Spec.Replicas, nil
	}
	err := wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		n, err := replicasOf(ctx)
		return n == 1, err
	})
	if err != nil {
		t.Fatalf("the Application was not synced: %v", err)
	}

	// Exactly one replica leads, and only it has reconciled.
	var leader, follower *replica
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(context.Context) (bool, error) {
		aLeads, aOK := replicas[0].leads()
		bLeads, bOK := replicas[1].leads()
		for i, leads := range []bool{aLeads, bLeads} {
			if n := replicas[i].reconciles(); !leads && n > 0 {
				return false, fmt.Errorf("replica %s ran %v reconciles without leading", replicas[i].name, n)
			}
		}
		switch {
		case !aOK || !bOK:
			return false, nil
		case aLeads && bLeads:
			return false, errors.New("both replicas say they lead")
		case aLeads:
			leader, follower = replicas[0], replicas[1]
		case bLeads:
			leader, follower = replicas[1], replicas[0]
		}
		return leader != nil, nil
	})
	if err != nil {
		t.Fatalf("finding the leader: %v", err)
	}
	if n := follower.reconciles(); n != 0 {
		t.Errorf("replica %s is not the leader but ran %v reconciles", follower.name, n)
	}
	if !reconciled(ctx, leader) {
		t.Errorf("the leader %s ran no reconcile, yet the Application was synced", leader.name)
	}
	lease := &coordinationv1.Lease{}
	if err := cl.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "capstan-controller"}, lease); err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == "" {
		t.Fatalf("no held leader Lease: %+v, %v", lease.Spec, err)
	}
	first := *lease.Spec.HolderIdentity
	t.Logf("replica %s leads as %s", leader.name, first)

	// The leader goes; the follower takes over and syncs a new commit.
	stopped := time.Now()
	if err := leader.stop(); err != nil {
		t.Errorf("the leader did not stop cleanly: %v", err)
	}
	repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": strings.Replace(guestbook["guestbook/deployment.yaml"], "replicas: 1", "replicas: 2", 1)}, "scale")
	patch := fmt.Sprintf(`{"metadata":{"annotations":{%q:"normal"}}}`, v1alpha1.AnnotationRefresh)
	app := &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: namespace}}
	if err := cl.Patch(ctx, app, client.RawPatch("application/merge-patch+json", []byte(patch))); err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, func(ctx context.Context) (bool, error) {
		n, err := replicasOf(ctx)
		return n == 2, err
	})
	if err != nil {
		t.Fatalf("the commit after the leader stopped was not synced: %v", err)
	}
	t.Logf("leader stopped to the next commit applied by the new one: %s", time.Since(stopped).Round(100*time.Millisecond))
	if leads, _ := follower.leads(); !leads {
		t.Errorf("replica %s synced without saying it leads", follower.name)
	}
	// The reconcile counter moves when a reconcile returns, which is after
	// the apply the poll above saw: wait for it rather than read it once.
	if !reconciled(ctx, follower) {
		t.Errorf("replica %s ran no reconcile, yet the commit was synced", follower.name)
	}
	if err := cl.Get(ctx, client.ObjectKeyFromObject(lease), lease); err != nil || lease.Spec.HolderIdentity == nil || *lease.Spec.HolderIdentity == first {
		t.Errorf("the Lease did not change hands: holder %v (was %s), %v", lease.Spec.HolderIdentity, first, err)
	}
}
