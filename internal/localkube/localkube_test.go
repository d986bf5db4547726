package localkube_test

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/capstan-cd/capstan/internal/localkube"
	"github.com/capstan-cd/capstan/internal/testenv"
)

// TestClustersSideBySide starts two control planes at once, as multi-cluster
// tests do, and checks that each is a separate, complete Kubernetes that stops
// without leaving a process behind.
func TestClustersSideBySide(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	envs := make([]*testenv.Env, 2)
	errs := make(chan error, len(envs))
	for i := range envs {
		go func() {
			var err error
			envs[i], err = testenv.Start(ctx)
			errs <- err
		}()
	}
	var startErr error
	for range envs {
		if err := <-errs; err != nil {
			startErr = err
		}
	}
	stopped := false
	defer func() {
		for _, e := range envs {
			if e != nil && !stopped {
				_ = e.Stop(false)
			}
		}
	}()
	if startErr != nil {
		t.Fatalf("start cluster: %v", startErr)
	}

	if envs[0].Config().Host == envs[1].Config().Host {
		t.Fatalf("both clusters serve at %s", envs[0].Config().Host)
	}
	for i, e := range envs {
		cs := kubernetes.NewForConfigOrDie(e.Config())
		v, err := cs.Discovery().ServerVersion()
		if err != nil {
			t.Fatalf("cluster %d: version: %v", i, err)
		}
		if v.GitVersion != "v1.37.2" {
			t.Errorf("cluster %d reports version %s, want v1.37.2", i, v.GitVersion)
		}
		// The kubeconfig written to the directory reaches the same cluster.
		cfg, err := clientcmd.BuildConfigFromFlags("", e.Cluster.Kubeconfig)
		if err != nil {
			t.Fatalf("cluster %d: load kubeconfig: %v", i, err)
		}
		if cfg.Host != e.Config().Host {
			t.Errorf("cluster %d: kubeconfig points at %s, want %s", i, cfg.Host, e.Config().Host)
		}
	}

	// What is created in one cluster does not exist in the other.
	first := kubernetes.NewForConfigOrDie(envs[0].Config())
	second := kubernetes.NewForConfigOrDie(envs[1].Config())
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "only-in-first"}}
	if _, err := first.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	if _, err := second.CoreV1().Namespaces().Get(ctx, ns.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("namespace of the first cluster seen in the second: err = %v", err)
	}

	var procs []localkube.Process
	for _, e := range envs {
		p, err := localkube.Processes(e.Cluster.Dir)
		if err != nil {
			t.Fatalf("list processes: %v", err)
		}
		procs = append(procs, p...)
	}
	if len(procs) != 10 {
		t.Errorf("found %d component processes, want 5 per cluster", len(procs))
	}
	for _, e := range envs {
		if err := e.Stop(true); err != nil {
			t.Errorf("stop cluster: %v", err)
		}
	}
	stopped = true
	for _, p := range procs {
		if p.Running() {
			t.Errorf("%s (pid %d) still runs after Stop", p.Name, p.PID)
		}
	}
	for _, e := range envs {
		if _, err := os.Stat(e.Cluster.Dir); !os.IsNotExist(err) {
			t.Errorf("directory %s is still there after a clean stop", e.Cluster.Dir)
		}
	}
}
