package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// bench is one run: the components it started and what it measured.
type bench struct {
	opts    Options
	res     *Result
	dir     string
	keepDir bool

	cl      *cluster
	repo    *gitRepo
	capCfg  capstanConfig
	capstan *capstanProc
	runs    int

	apps     []App
	revision int    // last revision written to any app
	head     string // last commit pushed

	appsW   *watcher
	appSt   *appStates
	configW *watcher
	deployW *watcher
	// deployArr records when capstan's Deployments first appeared and
	// became Available.
	deployArr *arrivals

	steady     memory // at the end of the idle window
	peakHWM    int64  // VmHWM of the first capstan process
	peakSample memory // highest VmRSS sampled of the first process
	peakPSS    int64  // highest PSS sampled of the first process
	peakSelf   int64  // VmHWM of the first capstan process alone
	// peakPhase and selfPeakPhase name the phases of the highest VmRSS
	// sampled of the first process, with its workers and alone.
	peakPhase, selfPeakPhase string
	selfPeakByPhase          []PhasePeak // capstan's own highest sample in each phase
	peak                     *peakWatch  // follows the first process from cold sync to restart
	restartPeak              *peakWatch  // follows the restarted process to the memory phase
	// phase is the name of the phase running, for the peak's sample.
	phase atomic.Pointer[string]
	// heapProfiles are the saved heap profiles by moment ("peak", "idle").
	heapProfiles map[string]string
}

// setUp starts the control plane, the Git server and capstan, with the
// repository holding every app at revision r0 and no Application yet.
func (b *bench) setUp(ctx context.Context) error {
	began := time.Now()
	cl, err := startCluster(ctx, b.opts.BinDir, filepath.Join(b.dir, "cluster"), b.opts.APIServerProfiles)
	if err != nil {
		return err
	}
	b.cl = cl
	b.logf("control plane up in %.1fs (%s)", time.Since(began).Seconds(), cl.Dir)
	if err := cl.installCRDs(ctx, b.opts.CRDDir); err != nil {
		return err
	}
	if err := cl.createNamespace(ctx, controlNamespace); err != nil {
		return err
	}
	kubeconfig, err := cl.setUpIdentity(ctx, b.dir)
	if err != nil {
		return err
	}
	if err := cl.setPollInterval(ctx, b.opts.PollInterval); err != nil {
		return err
	}
	if err := b.setUpRepo(); err != nil {
		return err
	}
	if err := b.startWatches(ctx); err != nil {
		return err
	}
	b.capCfg = capstanConfig{binary: filepath.Join(b.opts.BinDir, "capstan"), kubeconfig: kubeconfig, dir: b.dir, workers: b.opts.Workers, args: b.opts.CapstanArgs, profiles: b.opts.HeapProfiles}
	if _, err := b.startCapstan(ctx); err != nil {
		return err
	}
	b.logf("set up in %.1fs: %d apps in %s", time.Since(began).Seconds(), len(b.apps), b.repo.URL)
	return nil
}

// setUpRepo writes every app at revision r0 and serves the repository.
func (b *bench) setUpRepo() error {
	repo, err := startGitRepo(b.dir)
	if err != nil {
		return err
	}
	b.repo = repo
	b.apps = apps(b.opts.Apps, "bench")
	if err := repo.writeApps(b.apps, revisionName(0), b.opts.ConfigMapBytes); err != nil {
		return err
	}
	b.head, err = repo.commitAndPush(fmt.Sprintf("W1: %d apps", len(b.apps)))
	return err
}

func revisionName(n int) string { return fmt.Sprintf("r%d", n) }

// startWatches follows Applications and the Deployments capstan manages,
// as the admin, from before the cold sync: so the first event of each
// Deployment is its creation. The ceiling's loop is watched in the same
// way, through its Deployments: what the two observers cost on the two
// cores that both runs share differs only by the Applications' watch,
// which tells when the cold sync is done.
func (b *bench) startWatches(ctx context.Context) error {
	b.appSt = newAppStates()
	var err error
	appFields := [][]string{{"status", "sync", "status"}, {"status", "sync", "revision"}, {"status", "health", "status"}}
	if b.appsW, err = newWatcher(ctx, b.cl.dyn, gvrApplication, controlNamespace, "", appFields, b.appSt.observe); err != nil {
		return err
	}
	b.deployArr = newArrivals(available)
	b.deployW, err = newWatcher(ctx, b.cl.dyn, gvrDeployment, "", managedSelector, deploymentFields, b.deployArr.observe)
	return err
}

// watchConfigMaps follows the ConfigMaps capstan manages, their data
// included, for the phases after the cold sync: the change phases wait for
// their new revision, drift edits them, restart fingerprints them.
func (b *bench) watchConfigMaps(ctx context.Context) error {
	var err error
	b.configW, err = newWatcher(ctx, b.cl.dyn, gvrConfigMap, "", managedSelector, [][]string{{"data"}}, nil)
	return err
}

// startCapstan starts a capstan process and waits until it is ready; it
// returns how long that took.
func (b *bench) startCapstan(ctx context.Context) (time.Duration, error) {
	b.runs++
	began := time.Now()
	p, err := startCapstan(b.capCfg, b.runs)
	if err != nil {
		return 0, err
	}
	b.capstan = p
	if err := p.waitReady(ctx, time.Minute+b.perApp(10*time.Millisecond)); err != nil {
		return 0, err
	}
	return time.Since(began), nil
}

// close stops everything that was started, last first, and removes a
// temporary work directory after a successful run.
func (b *bench) close(ok bool) error {
	var errs []error
	if b.peak != nil {
		b.peak.result() // a run that failed before restart
	}
	if b.capstan != nil {
		errs = append(errs, b.capstan.stop(30*time.Second))
	}
	if b.repo != nil {
		errs = append(errs, b.repo.Close())
	}
	if b.cl != nil {
		errs = append(errs, b.cl.Down())
	}
	err := errors.Join(errs...)
	switch {
	case err != nil || !ok:
		b.logf("work directory kept for its logs: %s", b.dir)
	case !b.keepDir:
		b.removeWorkDir()
	}
	return err
}

// removeWorkDir removes the temporary work directory but for the
// profiles, whose paths the run printed.
func (b *bench) removeWorkDir() {
	entries, err := os.ReadDir(b.dir)
	if err != nil {
		b.logf("remove %s: %v", b.dir, err)
		return
	}
	kept := false
	for _, e := range entries {
		if e.Name() == profileDir {
			kept = true
			continue
		}
		if err := os.RemoveAll(filepath.Join(b.dir, e.Name())); err != nil {
			b.logf("remove %s: %v", b.dir, err)
		}
	}
	if !kept {
		_ = os.Remove(b.dir)
		return
	}
	b.logf("work directory removed but for the profiles: %s", filepath.Join(b.dir, profileDir))
}

// capstanVersion reads `capstan version` and the commit of the checkout
// the binaries were built from.
func capstanVersion(binDir string) Capstan {
	var c Capstan
	if out, err := exec.Command(filepath.Join(binDir, "capstan"), "version").Output(); err == nil {
		c.Version = strings.TrimSpace(string(out))
	}
	if out, err := gitOutput(filepath.Dir(binDir), "rev-parse", "HEAD"); err == nil {
		c.Checkout = strings.TrimSpace(out)
	}
	return c
}
