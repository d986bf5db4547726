package imageupdater

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// gitApp is an Application of a Helm chart at path in a repository of srv,
// running image at from, written back to Git.
func (w *world) gitApp(t *testing.T, srv *gitserver.HTTPServer, repo, name, path, image, from string) {
	t.Helper()
	w.gitAppWith(t, srv, repo, name, path, image, from, "git")
}

func (w *world) gitAppWith(t *testing.T, srv *gitserver.HTTPServer, repo, name, path, image, from, method string) {
	t.Helper()
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: w.ns, Annotations: map[string]string{
			"argocd-image-updater.argoproj.io/image-list":        image,
			"argocd-image-updater.argoproj.io/write-back-method": method,
		}},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "default"},
			Source: &v1alpha1.ApplicationSource{RepoURL: srv.RepoURL(repo), Path: path, TargetRevision: "main",
				Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "image.name", Value: image}, {Name: "image.tag", Value: from}}}},
		},
	}
	create(t, w.c, app)
	app.Status.Summary.Images = []string{image + ":" + from}
	app.Status.SourceType = v1alpha1.ApplicationSourceTypeHelm
	if err := w.c.Status().Update(t.Context(), app); err != nil {
		t.Fatal(err)
	}
}

// gitWorld is a world whose updater commits to a real Git server, with a
// repo-creds Secret for it.
func gitWorld(t *testing.T) (*world, *gitserver.HTTPServer) {
	t.Helper()
	w, srv := gitWorldWithoutCreds(t)
	create(t, w.c, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "creds", Namespace: w.ns, Labels: map[string]string{source.SecretTypeLabel: source.SecretTypeRepoCreds}},
		StringData: map[string]string{"url": srv.URL, "username": srv.Username, "password": srv.Password},
	})
	return w, srv
}

// gitWorldWithoutCreds is gitWorld with no repository Secret.
func gitWorldWithoutCreds(t *testing.T) (*world, *gitserver.HTTPServer) {
	t.Helper()
	w := newWorld(t, map[string]string{"git.user": "bot", "git.email": "bot@example.com"})
	srv := gitserver.NewHTTP(t)
	g, err := source.NewGit(source.GitOptions{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	w.u.Git = g
	return w, srv
}

func TestCycleGitWriteBackOneCommitForTwoApps(t *testing.T) {
	w, srv := gitWorld(t)
	repo := srv.NewRepo(t, "deploy")
	repo.AllowPush(t)
	before := repo.Commit(t, "main", map[string]string{"web/Chart.yaml": "name: web\n", "api/Chart.yaml": "name: api\n"}, "initial")
	w.reg.PushTags(t, "org/web", "1.0.0", "1.1.0")
	w.reg.PushTags(t, "org/api", "2.0.0", "2.1.0")
	w.gitApp(t, srv, "deploy", "web", "web", w.reg.Host+"/org/web", "1.0.0")
	w.gitApp(t, srv, "deploy", "api", "api", w.reg.Host+"/org/api", "2.0.0")

	r := w.cycle(t)
	for _, a := range r.Apps {
		if a.Err != nil || !a.Written || a.Commit == "" {
			t.Fatalf("%s: %+v", a.Name(), a)
		}
	}
	if repo.RevParse(t, "main^") != before {
		t.Errorf("more than one commit for two apps:\n%s", repo.LastCommit(t, "main"))
	}
	if msg := repo.LastCommit(t, "main"); !strings.HasPrefix(msg, "bot <bot@example.com>") {
		t.Errorf("commit author: %q", msg)
	}
	if got := repo.Show(t, "main", "web/.argocd-source-web.yaml"); !strings.Contains(got, "value: 1.1.0") {
		t.Errorf("web's override file:\n%s", got)
	}
	if got := repo.Show(t, "main", "api/.argocd-source-api.yaml"); !strings.Contains(got, "value: 2.1.0") {
		t.Errorf("api's override file:\n%s", got)
	}
}

func TestCycleGitRefusedPushBacksOff(t *testing.T) {
	w, srv := gitWorld(t)
	repo := srv.NewRepo(t, "locked")
	repo.AllowPush(t)
	repo.Protect(t, "main")
	before := repo.Commit(t, "main", map[string]string{"web/Chart.yaml": "name: web\n"}, "initial")
	w.reg.PushTags(t, "org/web", "1.0.0", "1.1.0")
	w.gitApp(t, srv, "locked", "web", "web", w.reg.Host+"/org/web", "1.0.0")

	r := w.cycle(t)
	if a := r.Apps[0]; a.Err == nil || a.Written || !strings.Contains(a.Err.Error(), "declined") {
		t.Fatalf("report = %+v, want a declined push", a)
	}
	if repo.RevParse(t, "refs/heads/main") != before {
		t.Error("main moved")
	}
	eventually(t, "an ImageUpdateFailed Event", func() bool {
		return strings.Contains(w.eventReasons(t, "web")[ReasonImageUpdateFailed], "declined")
	})
	// The next cycle retries; after a second failure the one after waits.
	w.clk.Step(w.u.interval())
	if a := w.cycle(t).Apps[0]; a.Skipped != "" || a.Err == nil {
		t.Fatalf("second cycle: %+v, want another attempt", a)
	}
	w.clk.Step(w.u.interval())
	if a := w.cycle(t).Apps[0]; a.Skipped == "" {
		t.Fatalf("third cycle: %+v, want the write-back to wait", a)
	}
	w.clk.Step(w.u.interval())
	if a := w.cycle(t).Apps[0]; a.Skipped != "" {
		t.Fatalf("fourth cycle: %+v, want another attempt", a)
	}
}

// The article's form: the credentials in a Secret the annotation names,
// git:secret:<namespace>/<name>, with no repository Secret at all.
func TestCycleGitWriteBackWithSecretCredentials(t *testing.T) {
	w, srv := gitWorldWithoutCreds(t)
	repo := srv.NewRepo(t, "deploy")
	repo.AllowPush(t)
	repo.Commit(t, "main", map[string]string{"web/Chart.yaml": "name: web\n"}, "initial")
	w.reg.PushTags(t, "org/web", "1.0.0", "1.1.0")
	w.gitAppWith(t, srv, "deploy", "web", "web", w.reg.Host+"/org/web", "1.0.0", "git:secret:"+w.ns+"/git-creds")

	if a := w.cycle(t).Apps[0]; a.Err == nil || a.Written {
		t.Fatalf("without the Secret: %+v, want an error", a)
	}
	// A Secret of another namespace is never read.
	create(t, w.c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git-creds", Namespace: "default"},
		StringData: map[string]string{"username": srv.Username, "password": srv.Password}})
	t.Cleanup(func() {
		_ = w.c.Delete(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git-creds", Namespace: "default"}})
	})
	var other v1alpha1.Application
	if err := w.c.Get(t.Context(), keyOf(w.ns, "web"), &other); err != nil {
		t.Fatal(err)
	}
	other.Annotations["argocd-image-updater.argoproj.io/write-back-method"] = "git:secret:default/git-creds"
	if err := w.c.Update(t.Context(), &other); err != nil {
		t.Fatal(err)
	}
	w.clk.Step(w.u.interval())
	if a := w.cycle(t).Apps[0]; a.Err == nil || !strings.Contains(a.Err.Error(), "control-plane namespace") {
		t.Fatalf("with a Secret of another namespace: %+v, want a refusal", a)
	}
	if err := w.c.Get(t.Context(), keyOf(w.ns, "web"), &other); err != nil {
		t.Fatal(err)
	}
	other.Annotations["argocd-image-updater.argoproj.io/write-back-method"] = "git:secret:" + w.ns + "/git-creds"
	if err := w.c.Update(t.Context(), &other); err != nil {
		t.Fatal(err)
	}
	w.clk.Step(4 * w.u.interval())
	create(t, w.c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "git-creds", Namespace: w.ns},
		StringData: map[string]string{"username": srv.Username, "password": srv.Password}})
	w.clk.Step(w.u.interval())
	if a := w.cycle(t).Apps[0]; a.Err != nil || !a.Written {
		t.Fatalf("with the Secret: %+v", a)
	}
	if got := repo.Show(t, "main", "web/.argocd-source-web.yaml"); !strings.Contains(got, "value: 1.1.0") {
		t.Errorf("override file:\n%s", got)
	}
}

// git-repository may only name a repository the Application's project
// permits: the annotation must not open every repository capstan can push
// to.
func TestCycleGitRepositoryMustBePermitted(t *testing.T) {
	w, srv := gitWorld(t)
	own := srv.NewRepo(t, "own")
	other := srv.NewRepo(t, "other")
	for _, r := range []*gitserver.Repo{own, other} {
		r.AllowPush(t)
		r.Commit(t, "main", map[string]string{"web/Chart.yaml": "name: web\n"}, "initial")
	}
	before := other.RevParse(t, "refs/heads/main")
	create(t, w.c, &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "team", Namespace: w.ns},
		Spec: v1alpha1.AppProjectSpec{SourceRepos: []string{srv.RepoURL("own")}, Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}}}})
	w.reg.PushTags(t, "org/web", "1.0.0", "1.1.0")
	w.gitApp(t, srv, "own", "web", "web", w.reg.Host+"/org/web", "1.0.0")
	var app v1alpha1.Application
	if err := w.c.Get(t.Context(), keyOf(w.ns, "web"), &app); err != nil {
		t.Fatal(err)
	}
	app.Spec.Project = "team"
	app.Annotations["argocd-image-updater.argoproj.io/git-repository"] = srv.RepoURL("other")
	if err := w.c.Update(t.Context(), &app); err != nil {
		t.Fatal(err)
	}
	if a := w.cycle(t).Apps[0]; a.Err == nil || a.Written || !strings.Contains(a.Err.Error(), "not permitted") {
		t.Fatalf("report = %+v, want the repository refused", a)
	}
	if other.RevParse(t, "refs/heads/main") != before {
		t.Error("a commit reached a repository the project does not permit")
	}
}
