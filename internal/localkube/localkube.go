// Package localkube runs a local Kubernetes control plane from binaries built
// out of the upstream modules: etcd, kube-apiserver, kube-controller-manager,
// kube-scheduler, and kwok with one simulated node so that Pods reach Running
// and Deployments become Available. capstan's tests, benchmark and demo run on
// it. Everything listens on loopback ports chosen at start, so several
// clusters can run side by side, each in its own directory.
package localkube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// Binary names looked up in Options.BinDir.
const (
	etcdBinary              = "etcd"
	apiserverBinary         = "kube-apiserver"
	controllerManagerBinary = "kube-controller-manager"
	schedulerBinary         = "kube-scheduler"
	kwokBinary              = "kwok"
	// kwokStages holds the Stage definitions that drive the simulated node
	// and its Pods; the build copies them from the kwok module.
	kwokStages = "kwok-stages.yaml"
)

// Options say where the binaries are and how the cluster is run.
type Options struct {
	// BinDir holds the binaries and kwok-stages.yaml.
	BinDir string
	// Dir receives the kubeconfig, the logs, the pids and etcd's data.
	Dir string
	// KillWithParent ends the components when the calling process exits,
	// for test binaries; `localkube up` leaves them running instead.
	KillWithParent bool
	// Timeout bounds the whole start; zero means two minutes.
	Timeout time.Duration
	// Profiling serves the API server's profiles (/debug/pprof, to the
	// admin), for a benchmark that asks where its CPU goes.
	Profiling bool
}

// Cluster is a running control plane.
type Cluster struct {
	// Dir is the directory the cluster lives in.
	Dir string
	// Kubeconfig is the path of an admin kubeconfig for the cluster.
	Kubeconfig string
	config     *rest.Config
}

// Config returns a fresh copy of the admin client configuration.
func (c *Cluster) Config() *rest.Config { return rest.CopyConfig(c.config) }

// Down stops the cluster's processes. The directory stays, with its logs.
func (c *Cluster) Down() error { return Down(c.Dir) }

// Up starts a control plane in opts.Dir and returns once a Deployment can
// become Available on it. On failure it stops whatever it had started and
// the error points at the component's log.
func Up(ctx context.Context, opts Options) (_ *Cluster, err error) {
	if opts.Timeout == 0 {
		opts.Timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.Timeout)
	defer cancel()

	if err := checkBinaries(opts.BinDir); err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cluster directory: %w", err)
	}
	if _, err := os.Stat(filepath.Join(dir, pidsFile)); err == nil {
		if procs, _ := readPIDs(dir); anyAlive(procs) {
			return nil, fmt.Errorf("a cluster is already running in %s: run `localkube down %s` first", dir, dir)
		}
	}
	p, err := freePorts()
	if err != nil {
		return nil, err
	}
	k, err := writePKI(dir)
	if err != nil {
		return nil, err
	}
	token, err := writeTokens(dir)
	if err != nil {
		return nil, err
	}

	var procs []Process
	defer func() {
		if err != nil {
			_ = stop(procs, 5*time.Second)
		}
	}()
	run := func(name, binary string, args []string) error {
		cmd, err := start(dir, name, filepath.Join(opts.BinDir, binary), args, opts.KillWithParent)
		if err != nil {
			return err
		}
		procs = append(procs, Process{Name: name, PID: cmd.Process.Pid})
		return writePIDs(dir, procs)
	}
	logHint := func(name string, err error) error {
		return fmt.Errorf("%s: %w (see %s)", name, err, filepath.Join(dir, name+".log"))
	}

	if err := run("etcd", etcdBinary, etcdArgs(dir, p)); err != nil {
		return nil, err
	}
	if err := waitHTTP(ctx, "http://"+addr(p.etcdClient)+"/health", nil); err != nil {
		return nil, logHint("etcd", err)
	}
	if err := run("kube-apiserver", apiserverBinary, apiserverArgs(dir, p, k, opts.Profiling)); err != nil {
		return nil, err
	}
	cfg := &rest.Config{
		Host:            "https://" + addr(p.apiserver),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: k.caPEM},
		QPS:             -1, // no client-side throttling: the server decides
	}
	if err := waitAPIServer(ctx, cfg); err != nil {
		return nil, logHint("kube-apiserver", err)
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := writeKubeconfig(kubeconfig, cfg); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		name, binary string
		args         []string
	}{
		{"kube-controller-manager", controllerManagerBinary, controllerManagerArgs(kubeconfig, p, k)},
		{"kube-scheduler", schedulerBinary, schedulerArgs(kubeconfig, p)},
		{"kwok", kwokBinary, kwokArgs(kubeconfig, filepath.Join(opts.BinDir, kwokStages), p)},
	} {
		if err := run(c.name, c.binary, c.args); err != nil {
			return nil, err
		}
	}
	if err := waitWorkloads(ctx, cfg); err != nil {
		return nil, fmt.Errorf("cluster in %s does not run workloads: %w (see the logs there)", dir, err)
	}
	return &Cluster{Dir: dir, Kubeconfig: kubeconfig, config: cfg}, nil
}

// Down stops the cluster whose directory is dir and leaves nothing running.
func Down(dir string) error {
	procs, err := readPIDs(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := stop(procs, 10*time.Second); err != nil {
		return err
	}
	return os.Remove(filepath.Join(dir, pidsFile))
}

func anyAlive(procs []Process) bool {
	for _, p := range procs {
		if alive(p.PID) {
			return true
		}
	}
	return false
}

func checkBinaries(binDir string) error {
	for _, name := range []string{etcdBinary, apiserverBinary, controllerManagerBinary, schedulerBinary, kwokBinary, kwokStages} {
		if _, err := os.Stat(filepath.Join(binDir, name)); err != nil {
			return fmt.Errorf("control plane binary %s is missing from %s: build it with `make controlplane`", name, binDir)
		}
	}
	return nil
}

// freePorts picks the control plane's loopback ports (see FreePorts).
func freePorts() (ports, error) {
	var p ports
	fields := []*int{&p.etcdClient, &p.etcdPeer, &p.apiserver, &p.controllerManager, &p.scheduler, &p.kwok}
	got, err := FreePorts(len(fields))
	if err != nil {
		return p, fmt.Errorf("find free ports: %w", err)
	}
	for i, f := range fields {
		*f = got[i]
	}
	return p, nil
}

func writeKubeconfig(path string, cfg *rest.Config) error {
	kc := clientcmdConfig(cfg)
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		return fmt.Errorf("write kubeconfig %s: %w", path, err)
	}
	return nil
}
