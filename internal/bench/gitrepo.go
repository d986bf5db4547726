package bench

import (
	"bytes"
	"encoding/json"
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

// Close stops the Git server. Nothing it serves needs to finish: the
// benchmark is over when it is called.
func (r *gitRepo) Close() error {
	if err := r.server.Close(); err != nil && !errors.Is(err, http.ErrServerClosed) {
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

// pushEvent is a GitHub push payload for the repository's main branch,
// from before to after, listing each pushed commit with the paths it
// added, modified and removed (from the repository's root) as GitHub
// does: capstan refreshes first the Applications whose files changed.
func (r *gitRepo) pushEvent(before, after string) ([]byte, error) {
	commits, err := r.pushedCommits(before, after)
	if err != nil {
		return nil, err
	}
	web := strings.TrimSuffix(r.URL, ".git")
	for i := range commits {
		commits[i].URL = web + "/commit/" + commits[i].ID
	}
	ev := pushPayload{
		Ref: "refs/heads/main", Before: before, After: after,
		Compare: web + "/compare/" + before + "..." + after,
		Commits: commits,
		Repository: pushRepository{
			Name: repoName, FullName: "bench/" + repoName, HTMLURL: web, CloneURL: r.URL, DefaultBranch: "main",
		},
		Pusher: pushPerson{Name: "capstan-bench", Email: "bench@capstan.invalid"},
	}
	if len(commits) > 0 {
		ev.HeadCommit = &commits[len(commits)-1]
	}
	return json.Marshal(ev)
}

// pushPayload is the part of GitHub's push event capstan reads, and a
// little more so that it looks like one.
type pushPayload struct {
	Ref        string         `json:"ref"`
	Before     string         `json:"before"`
	After      string         `json:"after"`
	Created    bool           `json:"created"`
	Deleted    bool           `json:"deleted"`
	Forced     bool           `json:"forced"`
	Compare    string         `json:"compare"`
	Commits    []pushCommit   `json:"commits"`
	HeadCommit *pushCommit    `json:"head_commit"`
	Repository pushRepository `json:"repository"`
	Pusher     pushPerson     `json:"pusher"`
}

type pushRepository struct {
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	HTMLURL       string `json:"html_url"`
	CloneURL      string `json:"clone_url"`
	DefaultBranch string `json:"default_branch"`
}

type pushPerson struct {
	Name  string `json:"name"`
	Email string `json:"email"`
}

// pushCommit is one commit of a push as GitHub lists it.
type pushCommit struct {
	ID        string     `json:"id"`
	TreeID    string     `json:"tree_id"`
	Distinct  bool       `json:"distinct"`
	Message   string     `json:"message"`
	Timestamp string     `json:"timestamp"`
	URL       string     `json:"url"`
	Author    pushPerson `json:"author"`
	Committer pushPerson `json:"committer"`
	Added     []string   `json:"added"`
	Removed   []string   `json:"removed"`
	Modified  []string   `json:"modified"`
}

// pushedCommits lists the commits of before..after, oldest first, with
// the paths each changed (no rename detection: GitHub reports a rename
// as a removal and an addition).
func (r *gitRepo) pushedCommits(before, after string) ([]pushCommit, error) {
	span := before + ".." + after
	if before == "" || strings.Trim(before, "0") == "" {
		span = after
	}
	out, err := gitOutput(r.work, "log", "--reverse", "--no-renames", "--name-status", "-z",
		"--format=%x01%H%x00%T%x00%aI%x00%an%x00%ae%x00%cn%x00%ce%x00%B", span)
	if err != nil {
		return nil, err
	}
	var commits []pushCommit
	for rec := range strings.SplitSeq(out, "\x01") {
		if rec == "" {
			continue
		}
		f := strings.Split(rec, "\x00")
		if len(f) < 8 {
			return nil, fmt.Errorf("git log %s: unexpected output %q", span, rec)
		}
		c := pushCommit{
			ID: f[0], TreeID: f[1], Distinct: true, Timestamp: f[2],
			Author: pushPerson{Name: f[3], Email: f[4]}, Committer: pushPerson{Name: f[5], Email: f[6]},
			Message: strings.TrimSpace(f[7]),
			Added:   []string{}, Removed: []string{}, Modified: []string{},
		}
		// After the message: status, NUL, path, NUL, ... (the first
		// status follows the message's newlines).
		rest := f[8:]
		for i := 0; i+1 < len(rest); i += 2 {
			status, path := strings.TrimSpace(rest[i]), rest[i+1]
			switch {
			case strings.HasPrefix(status, "A"):
				c.Added = append(c.Added, path)
			case strings.HasPrefix(status, "D"):
				c.Removed = append(c.Removed, path)
			case status != "":
				c.Modified = append(c.Modified, path)
			}
		}
		commits = append(commits, c)
	}
	return commits, nil
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
