package imageupdater

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// Committer commits a change to a repository: source.Git.
type Committer interface {
	Commit(ctx context.Context, repo source.Repository, c source.Commit) (string, error)
}

// GitConfig is the author and message of write-back commits, from the
// argocd-image-updater-config ConfigMap.
type GitConfig struct {
	User, Email string
	// MessageTemplate is a text/template over .AppName and .AppChanges;
	// empty means DefaultCommitMessageTemplate.
	MessageTemplate string
}

// AppUpdates are the updates of one Application, with its write-back
// configuration.
type AppUpdates struct {
	App       *v1alpha1.Application
	WriteBack WriteBack
	Updates   []Update
}

// GitWriter commits updates to the Applications' repositories: one commit
// per repository and branch, whatever the number of Applications.
type GitWriter struct {
	Git Committer
	// Credentials returns the repository with the credentials to push to
	// it for an Application.
	Credentials func(ctx context.Context, app *v1alpha1.Application, wb WriteBack, repoURL string) (source.Repository, error)
	Config      GitConfig
}

// CommitResult is the outcome of one commit.
type CommitResult struct {
	Repository, Branch string
	// SHA is the pushed commit, empty when nothing changed or on error.
	SHA  string
	Apps []*v1alpha1.Application
	Err  error
}

// gitTarget is where one Application's updates are committed.
type gitTarget struct {
	repoURL, base, branch string
	// dir is the source's path; typ the tool that renders it.
	dir string
	typ v1alpha1.ApplicationSourceType
}

// batch is one commit: the Applications that share a repository and branch.
type batch struct {
	key    string
	target gitTarget
	repo   source.Repository
	apps   []AppUpdates
	// targets are the apps' own targets: same repository and branch,
	// each its own path.
	targets []gitTarget
}

// Write commits every Application's updates, batched by repository and
// branch, and returns one result per commit (or per Application whose
// target could not be worked out).
func (w *GitWriter) Write(ctx context.Context, changes []AppUpdates) []CommitResult {
	var results []CommitResult
	var batches []*batch
	index := map[string]*batch{}
	for _, ch := range changes {
		t, err := targetOf(ch)
		var repo source.Repository
		if err == nil {
			repo, err = w.Credentials(ctx, ch.App, ch.WriteBack, t.repoURL)
		}
		if err != nil {
			results = append(results, CommitResult{Repository: t.repoURL, Apps: []*v1alpha1.Application{ch.App}, Err: err})
			continue
		}
		key := strings.Join([]string{source.NormalizeURL(t.repoURL), t.base, t.branch, ch.WriteBack.Secret}, "\x00")
		b, ok := index[key]
		if !ok {
			b = &batch{key: key, target: t, repo: repo}
			index[key] = b
			batches = append(batches, b)
		}
		b.apps = append(b.apps, ch)
		b.targets = append(b.targets, t)
	}
	for _, b := range batches {
		results = append(results, w.commit(ctx, b)...)
	}
	return results
}

func (w *GitWriter) commit(ctx context.Context, b *batch) []CommitResult {
	msgs := make([]string, len(b.apps))
	for i, a := range b.apps {
		msg, err := CommitMessage(w.Config.MessageTemplate, a.App.Name, a.Updates)
		if err != nil {
			return []CommitResult{{Repository: b.target.repoURL, Branch: b.target.branch, Apps: appsOf(b.apps), Err: err}}
		}
		msgs[i] = strings.TrimSpace(msg)
	}
	user, email := w.Config.User, w.Config.Email
	if user == "" {
		user = DefaultGitUser
	}
	if email == "" {
		email = DefaultGitEmail
	}
	var failed []error
	sha, err := w.Git.Commit(ctx, b.repo, source.Commit{
		Base: b.target.base, Branch: b.target.branch, AuthorName: user, AuthorEmail: email,
		Edit: func(read func(string) ([]byte, error)) (map[string][]byte, error) {
			var files map[string][]byte
			files, failed = editFiles(b, read)
			return files, nil
		},
		Describe: func() string {
			var kept []string
			for i, m := range msgs {
				if failed[i] == nil {
					kept = append(kept, m)
				}
			}
			return strings.Join(kept, "\n\n") + "\n"
		},
	})
	if errors.Is(err, source.ErrNothingToCommit) {
		err = nil
	}
	res := CommitResult{Repository: b.target.repoURL, Branch: b.target.branch, SHA: sha, Err: err}
	out := []CommitResult{}
	for i, a := range b.apps {
		if failed != nil && failed[i] != nil {
			out = append(out, CommitResult{Repository: b.target.repoURL, Branch: b.target.branch, Apps: []*v1alpha1.Application{a.App}, Err: failed[i]})
			continue
		}
		res.Apps = append(res.Apps, a.App)
	}
	if len(res.Apps) > 0 {
		out = append(out, res)
	}
	return out
}

func appsOf(apps []AppUpdates) []*v1alpha1.Application {
	out := make([]*v1alpha1.Application, len(apps))
	for i, a := range apps {
		out[i] = a.App
	}
	return out
}

// editFiles makes every Application's edits of a batch, each seeing those
// made before it, and returns the files to write and, per Application, the
// error that left its edit out: one broken Application does not hold back
// the others of its repository.
func editFiles(b *batch, read func(string) ([]byte, error)) (map[string][]byte, []error) {
	out := map[string][]byte{}
	failed := make([]error, len(b.apps))
	current := func(name string) ([]byte, error) {
		if data, ok := out[name]; ok {
			return data, nil
		}
		data, err := read(name)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return data, err
	}
	for i, a := range b.apps {
		name, data, err := editFile(a, b.targets[i], current)
		if err != nil {
			failed[i] = fmt.Errorf("application %s/%s: %s: %w", a.App.Namespace, a.App.Name, name, err)
			continue
		}
		out[name] = data
	}
	return out, failed
}

// editFile makes one Application's edit of its target file.
func editFile(a AppUpdates, t gitTarget, current func(string) ([]byte, error)) (string, []byte, error) {
	wb := a.WriteBack
	name := wb.File(t.dir, a.App.Name)
	switch wb.Target {
	case TargetKustomization:
		for _, f := range KustomizationFiles {
			data, err := current(path.Join(name, f))
			if err != nil || data == nil {
				continue
			}
			out, err := SetKustomizationImages(data, a.Updates)
			return path.Join(name, f), out, err
		}
		return name, nil, fmt.Errorf("no kustomization in %s", name)
	case TargetHelmValues:
		data, err := current(name)
		if err != nil {
			return name, nil, err
		}
		var params []v1alpha1.HelmParameter
		for _, u := range a.Updates {
			params = append(params, HelmParameters(u)...)
		}
		out, err := SetHelmValues(data, params)
		return name, out, err
	}
	data, err := current(name)
	if err != nil {
		return name, nil, err
	}
	out, err := SetSourceFile(data, t.typ, a.Updates)
	return name, out, err
}

// targetOf works out where an Application's updates are committed: the
// first source read from Git (its path and tool), or the first source at
// all when git-repository names the repository, to the base branch of
// git-branch or the source's targetRevision, pushed to the templated
// target branch.
func targetOf(a AppUpdates) (gitTarget, error) {
	app, wb := a.App, a.WriteBack
	sources := app.Spec.GetSources()
	for i, src := range sources {
		if (src.Chart != "" && wb.Repository == "") || (src.Ref != "" && src.Path == "" && src.Chart == "") {
			continue
		}
		t := gitTarget{repoURL: src.RepoURL, base: wb.Base, dir: src.Path, typ: SourceType(app, i)}
		if wb.Repository != "" {
			t.repoURL = wb.Repository
		}
		if t.base == "" && src.TargetRevision != "HEAD" {
			t.base = src.TargetRevision
		}
		t.branch = t.base
		if wb.Branch != "" {
			var err error
			if t.branch, err = BranchName(wb.Branch, a.Updates); err != nil {
				return t, fmt.Errorf("application %s/%s: %w", app.Namespace, app.Name, err)
			}
		}
		return t, nil
	}
	return gitTarget{}, fmt.Errorf("application %s/%s: no source from a Git repository to commit to", app.Namespace, app.Name)
}
