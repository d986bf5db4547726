package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/internal/gitserve"
)

// repoName is the one Git repository every W1 app lives in.
const repoName = "bench"

// gitRepo is the benchmark's Git repository: a working tree the benchmark
// commits in, pushed to a bare repository that gitserve serves over HTTP on
// loopback, the way capstan would see a Git host.
type gitRepo struct {
	work    string // working tree
	bare    string // bare repository served at URL
	URL     string
	handler *gitserve.Handler
	server  *http.Server
}

// startGitRepo creates the repository under dir and serves it.
func startGitRepo(dir string) (*gitRepo, error) {
	root := filepath.Join(dir, "git")
	r := &gitRepo{work: filepath.Join(dir, "work"), bare: filepath.Join(root, repoName+".git")}
	for _, d := range []string{r.work, root} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", d, err)
		}
	}
	if err := runGit(root, "init", "-q", "--bare", "-b", "main", r.bare); err != nil {
		return nil, err
	}
	if err := runGit(r.work, "init", "-q", "-b", "main"); err != nil {
		return nil, err
	}
	if err := runGit(r.work, "remote", "add", "origin", r.bare); err != nil {
		return nil, err
	}
	h, err := gitserve.NewHandler(root)
	if err != nil {
		return nil, err
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the Git server: %w", err)
	}
	r.handler = h
	r.server = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	r.URL = fmt.Sprintf("http://%s/%s.git", l.Addr(), repoName)
	go func() { _ = r.server.Serve(l) }()
	return r, nil
}

// Close stops the Git server.
func (r *gitRepo) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.server.Shutdown(ctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stop the Git server: %w", err)
	}
	return nil
}

// Counts are the requests the Git server received for the repository.
func (r *gitRepo) Counts() gitserve.Counts { return r.handler.Counts(repoName) }

// writeApps writes each app's manifests at a revision into the working tree.
func (r *gitRepo) writeApps(apps []App, revision string, payloadBytes int) error {
	for _, a := range apps {
		doc, err := manifestYAML(w1Objects(revision, payloadBytes))
		if err != nil {
			return fmt.Errorf("app %s: %w", a.Name, err)
		}
		dir := filepath.Join(r.work, a.Path)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("app %s: %w", a.Name, err)
		}
		if err := os.WriteFile(filepath.Join(dir, "manifests.yaml"), doc, 0o644); err != nil {
			return fmt.Errorf("app %s: %w", a.Name, err)
		}
	}
	return nil
}

// commitAndPush commits the working tree and pushes it to the served
// repository; it returns the new commit.
func (r *gitRepo) commitAndPush(message string) (string, error) {
	if err := runGit(r.work, "add", "-A"); err != nil {
		return "", err
	}
	if err := runGit(r.work, "-c", "user.name=capstan-bench", "-c", "user.email=bench@capstan.invalid",
		"commit", "-q", "-m", message); err != nil {
		return "", err
	}
	if err := runGit(r.work, "push", "-q", "origin", "main"); err != nil {
		return "", err
	}
	out, err := gitOutput(r.work, "rev-parse", "HEAD")
	return strings.TrimSpace(out), err
}

// pushEvent is a GitHub push payload for the repository's main branch.
func (r *gitRepo) pushEvent(before, after string) []byte {
	return fmt.Appendf(nil, `{"ref":"refs/heads/main","before":%q,"after":%q,`+
		`"repository":{"name":%q,"full_name":"bench/%s","html_url":%q,"clone_url":%q,"default_branch":"main"}}`,
		before, after, repoName, repoName, strings.TrimSuffix(r.URL, ".git"), r.URL)
}

func runGit(dir string, args ...string) error {
	_, err := gitOutput(dir, args...)
	return err
}

func gitOutput(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s in %s: %w: %s", strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
