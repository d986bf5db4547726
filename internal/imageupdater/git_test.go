package imageupdater

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// gitFixture is a pushable repository on a real Git HTTP server and a
// writer that pushes to it.
type gitFixture struct {
	srv  *gitserver.HTTPServer
	repo *gitserver.Repo
	w    *GitWriter
}

func newGitFixture(t *testing.T, files map[string]string) gitFixture {
	t.Helper()
	srv := gitserver.NewHTTP(t)
	repo := srv.NewRepo(t, "deploy")
	repo.AllowPush(t)
	repo.Commit(t, "main", files, "initial")
	g, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w := &GitWriter{
		Git: g,
		Credentials: func(_ context.Context, _ *v1alpha1.Application, _ WriteBack, url string) (source.Repository, error) {
			return source.Repository{URL: url, Username: srv.Username, Password: srv.Password}, nil
		},
		Config: GitConfig{User: "updater", Email: "updater@example.com"},
	}
	return gitFixture{srv: srv, repo: repo, w: w}
}

func (f gitFixture) app(name, path string, typ v1alpha1.ApplicationSourceType, annotations map[string]string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "argocd", Annotations: annotations},
		Spec:       v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: f.srv.RepoURL("deploy"), Path: path, TargetRevision: "main"}},
		Status:     v1alpha1.ApplicationStatus{SourceType: typ},
	}
}

func (f gitFixture) write(t *testing.T, apps ...AppUpdates) []CommitResult {
	t.Helper()
	for i := range apps {
		wb, err := ParseWriteBack(apps[i].App.Annotations)
		if err != nil {
			t.Fatal(err)
		}
		apps[i].WriteBack = wb
	}
	return f.w.Write(context.Background(), apps)
}

var webUpdate = Update{Image: "ghcr.io/org/web", Alias: "web", From: "1.0.0", Tag: "1.1.0"}

func TestGitWriteBackDefaultFile(t *testing.T) {
	f := newGitFixture(t, map[string]string{"apps/web/Chart.yaml": "name: web\n"})
	app := f.app("web", "apps/web", v1alpha1.ApplicationSourceTypeHelm, map[string]string{AnnotationWriteBackMethod: "git"})
	res := f.write(t, AppUpdates{App: app, Updates: []Update{webUpdate}})
	if len(res) != 1 || res[0].Err != nil || res[0].SHA == "" {
		t.Fatalf("results = %+v", res)
	}
	if got := f.repo.RevParse(t, "refs/heads/main"); got != res[0].SHA {
		t.Errorf("main at %s, want %s", got, res[0].SHA)
	}
	want := "helm:\n  parameters:\n    - name: image.name\n      value: ghcr.io/org/web\n      forcestring: true\n    - name: image.tag\n      value: 1.1.0\n      forcestring: true"
	if diff := cmp.Diff(want, f.repo.Show(t, "main", "apps/web/.argocd-source-web.yaml")); diff != "" {
		t.Errorf("override file (-want +got)\n%s", diff)
	}
	wantMsg := "updater <updater@example.com>\n\nbuild: automatic update of web\n\nupdates image ghcr.io/org/web tag '1.0.0' to '1.1.0'"
	if diff := cmp.Diff(wantMsg, f.repo.LastCommit(t, "main")); diff != "" {
		t.Errorf("commit (-want +got)\n%s", diff)
	}
	// The same update again commits nothing.
	res = f.write(t, AppUpdates{App: app, Updates: []Update{webUpdate}})
	if len(res) != 1 || res[0].Err != nil || res[0].SHA != "" {
		t.Errorf("a second identical write: %+v, want no commit", res)
	}
}

func TestGitWriteBackKustomization(t *testing.T) {
	kust := "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n\nresources:\n  - deploy.yaml # the app\n\nimages:\n  - name: ghcr.io/org/web\n    newTag: 1.0.0\n"
	f := newGitFixture(t, map[string]string{"base/kustomization.yaml": kust, "overlay/kustomization.yaml": "resources: [../base]\n"})
	app := f.app("web", "overlay", v1alpha1.ApplicationSourceTypeKustomize, map[string]string{
		AnnotationWriteBackMethod: "git", AnnotationWriteBackTarget: "kustomization:../base",
	})
	if _, err := ParseWriteBack(app.Annotations); err == nil {
		t.Fatal("a target outside the repository was accepted")
	}
	app.Annotations[AnnotationWriteBackTarget] = "kustomization:/base"
	res := f.write(t, AppUpdates{App: app, Updates: []Update{webUpdate}})
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("results = %+v", res)
	}
	want := strings.TrimSpace(strings.Replace(kust, "newTag: 1.0.0", "newTag: 1.1.0", 1))
	if diff := cmp.Diff(want, f.repo.Show(t, "main", "base/kustomization.yaml")); diff != "" {
		t.Errorf("kustomization (-want +got)\n%s", diff)
	}
}

func TestGitWriteBackHelmValuesKeepsComments(t *testing.T) {
	values := "# web\nimage:\n  name: ghcr.io/org/web # registry\n\n  # the version, kept by the updater\n  tag: \"1.0.0\"\nreplicas: 2\n"
	f := newGitFixture(t, map[string]string{"charts/web/values-prod.yaml": values})
	app := f.app("web", "charts/web", v1alpha1.ApplicationSourceTypeHelm, map[string]string{
		AnnotationWriteBackMethod: "git", AnnotationWriteBackTarget: "helmvalues:values-prod.yaml",
	})
	res := f.write(t, AppUpdates{App: app, Updates: []Update{webUpdate}})
	if len(res) != 1 || res[0].Err != nil {
		t.Fatalf("results = %+v", res)
	}
	want := strings.TrimSpace(strings.Replace(values, `"1.0.0"`, `"1.1.0"`, 1))
	if diff := cmp.Diff(want, f.repo.Show(t, "main", "charts/web/values-prod.yaml")); diff != "" {
		t.Errorf("values (-want +got)\n%s", diff)
	}
}

func TestGitWriteBackBatchesApps(t *testing.T) {
	f := newGitFixture(t, map[string]string{"apps/a/x.yaml": "a\n", "apps/b/x.yaml": "b\n"})
	before := f.repo.RevParse(t, "refs/heads/main")
	a := f.app("a", "apps/a", v1alpha1.ApplicationSourceTypeKustomize, map[string]string{AnnotationWriteBackMethod: "git"})
	b := f.app("b", "apps/b", v1alpha1.ApplicationSourceTypeHelm, map[string]string{AnnotationWriteBackMethod: "git"})
	res := f.write(t, AppUpdates{App: a, Updates: []Update{webUpdate}}, AppUpdates{App: b, Updates: []Update{{Image: "nginx", From: "1.26", Tag: "1.27"}}})
	if len(res) != 1 || res[0].Err != nil || len(res[0].Apps) != 2 {
		t.Fatalf("results = %+v, want one commit for both apps", res)
	}
	if got := f.repo.RevParse(t, "main^"); got != before {
		t.Errorf("main^ = %s, want the commit before the write-back %s: more than one commit", got, before)
	}
	if f.repo.Show(t, "main", "apps/a/.argocd-source-a.yaml") == "" || f.repo.Show(t, "main", "apps/b/.argocd-source-b.yaml") == "" {
		t.Errorf("an app's override file is missing; files:\n%s", f.repo.Files(t, "main"))
	}
}

func TestGitWriteBackBranchTemplate(t *testing.T) {
	f := newGitFixture(t, map[string]string{"apps/web/x.yaml": "x\n"})
	before := f.repo.RevParse(t, "refs/heads/main")
	app := f.app("web", "apps/web", v1alpha1.ApplicationSourceTypeKustomize, map[string]string{
		AnnotationWriteBackMethod: "git", AnnotationGitBranch: "main:image-updater-{{range .Images}}{{.Alias}}-{{.NewTag}}{{end}}",
	})
	res := f.write(t, AppUpdates{App: app, Updates: []Update{webUpdate}})
	if len(res) != 1 || res[0].Err != nil || res[0].Branch != "image-updater-web-1.1.0" {
		t.Fatalf("results = %+v", res)
	}
	if f.repo.RevParse(t, "refs/heads/main") != before {
		t.Error("main moved")
	}
	if got := f.repo.Show(t, "image-updater-web-1.1.0", "apps/web/.argocd-source-web.yaml"); got != "kustomize:\n  images:\n    - ghcr.io/org/web:1.1.0" {
		t.Errorf("override on the branch = %q", got)
	}
}

func TestGitWriteBackRefusedPushWritesNothing(t *testing.T) {
	f := newGitFixture(t, map[string]string{"apps/web/x.yaml": "x\n"})
	f.repo.Protect(t, "main")
	before := f.repo.RevParse(t, "refs/heads/main")
	app := f.app("web", "apps/web", v1alpha1.ApplicationSourceTypeKustomize, map[string]string{AnnotationWriteBackMethod: "git"})
	res := f.write(t, AppUpdates{App: app, Updates: []Update{webUpdate}})
	if len(res) != 1 || res[0].Err == nil {
		t.Fatalf("results = %+v, want a failed push", res)
	}
	if got := f.repo.RevParse(t, "refs/heads/main"); got != before {
		t.Errorf("main moved to %s", got)
	}
	if !strings.Contains(res[0].Err.Error(), "declined") {
		t.Errorf("error %q does not say the push was declined", res[0].Err)
	}
}

func TestGitWriteBackBrokenAppDoesNotHoldBackOthers(t *testing.T) {
	f := newGitFixture(t, map[string]string{"apps/a/x.yaml": "a\n", "apps/b/x.yaml": "b\n"})
	a := f.app("a", "apps/a", v1alpha1.ApplicationSourceTypeKustomize, map[string]string{AnnotationWriteBackMethod: "git"})
	broken := f.app("b", "apps/b", v1alpha1.ApplicationSourceTypeKustomize, map[string]string{
		AnnotationWriteBackMethod: "git", AnnotationWriteBackTarget: "kustomization",
	})
	res := f.write(t, AppUpdates{App: a, Updates: []Update{webUpdate}}, AppUpdates{App: broken, Updates: []Update{webUpdate}})
	byApp := map[string]CommitResult{}
	for _, r := range res {
		for _, app := range r.Apps {
			byApp[app.Name] = r
		}
	}
	if r := byApp["a"]; r.Err != nil || r.SHA == "" {
		t.Errorf("a: %+v, want a commit", r)
	}
	if r := byApp["b"]; r.Err == nil || !strings.Contains(r.Err.Error(), "no kustomization in apps/b") {
		t.Errorf("b: %+v, want an error naming the missing kustomization", r)
	}
	if msg := f.repo.LastCommit(t, "main"); strings.Contains(msg, "update of b") || !strings.Contains(msg, "update of a") {
		t.Errorf("commit message speaks of the wrong apps:\n%s", msg)
	}
}
