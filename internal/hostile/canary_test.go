package hostile

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The canary is another team's Application, in a project of its own,
// which every case checks still syncs a new commit: "other apps keep
// syncing".
const canary = "canary"

var canaryState struct {
	sync.Mutex
	dir string // the bare repository
	n   int    // the value last committed
}

func canaryManifest(n int) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: canary\ndata:\n  value: %q\n", strconv.Itoa(n))
}

// startCanary creates the canary's repository, project, namespace and
// Application, and waits until its first commit is applied.
func startCanary(ctx context.Context) error {
	canaryState.dir = suite.public.Root + "/canary.git"
	if out, err := exec.Command("git", "init", "--quiet", "--bare", "--initial-branch=main", canaryState.dir).CombinedOutput(); err != nil {
		return fmt.Errorf("git init: %w\n%s", err, out)
	}
	if err := commitCanary(1); err != nil {
		return err
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: canary}},
		&v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: canary, Namespace: controlPlane}, Spec: v1alpha1.AppProjectSpec{
			SourceRepos:  []string{suite.public.url(canary)},
			Destinations: []v1alpha1.ApplicationDestination{{Server: inCluster, Namespace: canary}},
		}},
		&v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: canary, Namespace: controlPlane}, Spec: v1alpha1.ApplicationSpec{
			Project:     canary,
			Source:      &v1alpha1.ApplicationSource{RepoURL: suite.public.url(canary), TargetRevision: "HEAD", Path: "app"},
			Destination: v1alpha1.ApplicationDestination{Server: inCluster, Namespace: canary},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}},
		}},
	} {
		if err := suite.cl.Create(ctx, obj); err != nil {
			return err
		}
	}
	if err := poll(canaryHas(1)); err != nil {
		app, _ := get(ctx, canary)
		return fmt.Errorf("the canary Application never synced its first commit: %w: %s\n%s", err, describe(app), suite.capstan.tail(0, 40))
	}
	canaryState.n = 1
	return nil
}

// commitCanary commits the canary's manifest with value n.
func commitCanary(n int) error {
	dir := canaryState.dir
	blob, err := gitIn(dir, []byte(canaryManifest(n)), "hash-object", "-w", "--stdin")
	if err != nil {
		return err
	}
	index := dir + "/canary-index"
	defer os.Remove(index)
	env := []string{"GIT_INDEX_FILE=" + index}
	if _, err := gitEnvIn(dir, env, nil, "update-index", "--add", "--cacheinfo", "100644,"+blob+",app/configmap.yaml"); err != nil {
		return err
	}
	tree, err := gitEnvIn(dir, env, nil, "write-tree")
	if err != nil {
		return err
	}
	args := []string{"commit-tree", tree, "-m", "canary " + strconv.Itoa(n)}
	if parent, err := gitIn(dir, nil, "rev-parse", "--verify", "--quiet", "refs/heads/main"); err == nil && parent != "" {
		args = append(args, "-p", parent)
	}
	sha, err := gitIn(dir, nil, args...)
	if err != nil {
		return err
	}
	_, err = gitIn(dir, nil, "update-ref", "refs/heads/main", sha)
	return err
}

func gitIn(dir string, stdin []byte, args ...string) (string, error) {
	return gitEnvIn(dir, nil, stdin, args...)
}

func gitEnvIn(dir string, env []string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command("git", append([]string{"--git-dir", dir}, args...)...)
	cmd.Env = append(append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1",
		"GIT_AUTHOR_NAME=canary", "GIT_AUTHOR_EMAIL=canary@capstan.invalid",
		"GIT_COMMITTER_NAME=canary", "GIT_COMMITTER_EMAIL=canary@capstan.invalid"), env...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	out, err := cmd.Output()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return "", fmt.Errorf("git %v: %w\n%s", args, err, ee.Stderr)
		}
		return "", err
	}
	return strings.TrimSpace(string(out)), nil
}

// canaryHas reports whether the canary's ConfigMap holds n.
func canaryHas(n int) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		cm := &corev1.ConfigMap{}
		if err := suite.cl.Get(ctx, client.ObjectKey{Namespace: canary, Name: canary}, cm); err != nil {
			return false, nil
		}
		return cm.Data["value"] == strconv.Itoa(n), nil
	}
}

// canarySyncs commits a new value to the canary and waits until capstan
// applied it.
func canarySyncs(t *testing.T) {
	t.Helper()
	canaryState.Lock()
	defer canaryState.Unlock()
	n := canaryState.n + 1
	if err := commitCanary(n); err != nil {
		t.Fatal(err)
	}
	if err := poll(canaryHas(n)); err != nil {
		app, _ := get(context.Background(), canary)
		t.Fatalf("the canary Application did not apply its commit %d: %s", n, describe(app))
	}
	canaryState.n = n
}
