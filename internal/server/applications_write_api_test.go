package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cluster"
)

// teamProject creates AppProject team-a, which allows the repositories
// under https://git.example.com/allowed/ and namespace team-a of the
// in-cluster destination, and waits until the API sees it.
func teamProject(t *testing.T, s *testServer) {
	t.Helper()
	p := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: "team-a"}, Spec: v1alpha1.AppProjectSpec{
		SourceRepos:  []string{"https://git.example.com/allowed/*"},
		Destinations: []v1alpha1.ApplicationDestination{{Server: cluster.InClusterServer, Namespace: "team-a"}},
	}}
	if err := s.Client.Create(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cache to see AppProject team-a", func(ctx context.Context) (bool, error) {
		return s.API.Client.Get(ctx, client.ObjectKeyFromObject(p), &v1alpha1.AppProject{}) == nil, nil
	})
}

// errorOf sends a request that must fail with status and returns its
// message.
func (s *testServer) errorOf(t *testing.T, token, method, path string, body any, status int) string {
	t.Helper()
	var e apiError
	s.decode(t, s.do(t, token, method, path, body), status, &e)
	return e.Message
}

func TestApplicationCreate(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withGrants(grants{"alice": {"get team-a"}}))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")
	teamProject(t, s)
	allowed := "https://git.example.com/allowed/apps"

	refused := []struct {
		name, query, want string
		change            func(*v1alpha1.Application)
	}{
		{"a repository the project does not allow", "", "application repository https://git.example.com/other is not permitted",
			func(a *v1alpha1.Application) { a.Spec.Source.RepoURL = "https://git.example.com/other" }},
		{"a namespace the project does not allow", "", "does not match any of the allowed destinations in project team-a",
			func(a *v1alpha1.Application) { a.Spec.Destination.Namespace = "kube-system" }},
		{"a project that does not exist", "", "references project nope which does not exist",
			func(a *v1alpha1.Application) { a.Spec.Project = "nope" }},
		{"an unknown cluster", "", "no cluster with server https://elsewhere.example.com",
			func(a *v1alpha1.Application) {
				a.Spec.Project, a.Spec.Destination.Server = "", "https://elsewhere.example.com"
			}},
		{"an unknown cluster the project does not allow, unvalidated", "?validate=false", "does not match any of the allowed destinations in project team-a",
			func(a *v1alpha1.Application) { a.Spec.Destination.Server = "https://elsewhere.example.com" }},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			app := appIn(s, "refused", "team-a", allowed)
			tt.change(app)
			if msg := s.errorOf(t, admin, http.MethodPost, "/api/v1/applications"+tt.query, app, http.StatusBadRequest); !strings.Contains(msg, tt.want) {
				t.Errorf("refusal %q, want it to say %q", msg, tt.want)
			}
		})
	}
	if err := s.Client.Get(t.Context(), client.ObjectKey{Namespace: s.Namespace, Name: "refused"}, &v1alpha1.Application{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a refused Application was created (err %v)", err)
	}

	unvalidated := appIn(s, "unvalidated", "", allowed)
	unvalidated.Spec.Destination.Server = "https://elsewhere.example.com"
	s.status(t, admin, http.MethodPost, "/api/v1/applications?validate=false", unvalidated, http.StatusOK)

	app := appIn(s, "guestbook", "team-a", allowed)
	app.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Prune: true}}
	s.status(t, alice, http.MethodPost, "/api/v1/applications", app, http.StatusForbidden)
	var created v1alpha1.Application
	s.decode(t, s.do(t, admin, http.MethodPost, "/api/v1/applications", app), http.StatusOK, &created)
	if got := stored(t, s, "guestbook"); got.Operation != nil || got.UID != created.UID {
		t.Errorf("stored %s with operation %+v; want the answered one, without the operation of the body", got.UID, got.Operation)
	}
	cachedWhen(t, s, "guestbook", func(*v1alpha1.Application) bool { return true })

	// The same again is answered as created; a different one is not.
	s.status(t, admin, http.MethodPost, "/api/v1/applications", app, http.StatusOK)
	app.Spec.Source.TargetRevision = "v2"
	s.status(t, admin, http.MethodPost, "/api/v1/applications", app, http.StatusConflict)
	if got := stored(t, s, "guestbook"); got.Spec.Source.TargetRevision != "main" {
		t.Fatalf("a refused create changed the Application to %s", got.Spec.Source.TargetRevision)
	}
	app.Labels = map[string]string{"added": "yes"}
	s.status(t, admin, http.MethodPost, "/api/v1/applications?upsert=true", app, http.StatusOK)
	if got := stored(t, s, "guestbook"); got.Spec.Source.TargetRevision != "v2" || got.Labels["added"] != "yes" || got.Operation != nil {
		t.Errorf("after upsert: revision %s, labels %v, operation %+v", got.Spec.Source.TargetRevision, got.Labels, got.Operation)
	}
}

func TestApplicationUpdateAndPatch(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withGrants(grants{"alice": {"get team-a"}}))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")
	teamProject(t, s)
	createApps(t, s, appIn(s, "guestbook", "team-a", "https://git.example.com/allowed/apps"))
	path := "/api/v1/applications/guestbook"

	next := stored(t, s, "guestbook")
	next.Spec.Source.TargetRevision = "v2"
	next.Operation = &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}}
	s.status(t, alice, http.MethodPut, path, next, http.StatusForbidden)
	var updated v1alpha1.Application
	s.decode(t, s.do(t, admin, http.MethodPut, path, next), http.StatusOK, &updated)
	if got := stored(t, s, "guestbook"); got.Spec.Source.TargetRevision != "v2" || got.Operation != nil {
		t.Fatalf("after update: revision %s, operation %+v; want v2 and no operation", got.Spec.Source.TargetRevision, got.Operation)
	}
	next.Spec.Source.RepoURL = "https://git.example.com/other"
	s.status(t, admin, http.MethodPut, path, next, http.StatusBadRequest)

	cachedWhen(t, s, "guestbook", func(a *v1alpha1.Application) bool { return a.Spec.Source.TargetRevision == "v2" })
	spec := next.Spec.DeepCopy()
	spec.Source.RepoURL, spec.Source.TargetRevision = "https://git.example.com/allowed/apps", "v3"
	var gotSpec v1alpha1.ApplicationSpec
	s.decode(t, s.do(t, admin, http.MethodPut, path+"/spec", spec), http.StatusOK, &gotSpec)
	if diff := cmp.Diff(*spec, stored(t, s, "guestbook").Spec); diff != "" {
		t.Fatalf("stored spec (-want +got):\n%s", diff)
	}

	cachedWhen(t, s, "guestbook", func(a *v1alpha1.Application) bool { return a.Spec.Source.TargetRevision == "v3" })
	s.status(t, admin, http.MethodPatch, path, patchRequest{Patch: `[{"op":"replace","path":"/spec/source/targetRevision","value":"v4"}]`}, http.StatusOK)
	cachedWhen(t, s, "guestbook", func(a *v1alpha1.Application) bool { return a.Spec.Source.TargetRevision == "v4" })
	s.status(t, admin, http.MethodPatch, path, patchRequest{Patch: `{"metadata":{"labels":{"team":"a"}}}`, PatchType: "merge"}, http.StatusOK)
	if got := stored(t, s, "guestbook"); got.Spec.Source.TargetRevision != "v4" || got.Labels["team"] != "a" {
		t.Errorf("after the patches: revision %s, labels %v", got.Spec.Source.TargetRevision, got.Labels)
	}
	s.status(t, admin, http.MethodPatch, path, patchRequest{Patch: `{}`, PatchType: "strategic"}, http.StatusBadRequest)
	s.status(t, admin, http.MethodPatch, path, patchRequest{Patch: `{"spec":{"destination":{"namespace":"kube-system"}}}`, PatchType: "merge"}, http.StatusBadRequest)
}

// Deleting without cascade takes the resources finalizer off first, so
// the Application goes and its objects stay; a cascading delete sets the
// finalizer of its propagation policy for the controller to honour.
func TestApplicationDelete(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withGrants(grants{"alice": {"get default"}}))
	admin, alice := s.loginAdmin(t), s.login(t, "alice", "alice-password")
	keep := appIn(s, "keep", "", "https://git.example.com/a")
	keep.Finalizers = []string{v1alpha1.ResourcesFinalizer}
	createApps(t, s, keep, appIn(s, "cascade", "", "https://git.example.com/a"))
	object := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: "kept",
		Annotations: map[string]string{v1alpha1.AnnotationTrackingID: "keep:/ConfigMap:" + s.Namespace + "/kept"}}}
	if err := s.Client.Create(t.Context(), object); err != nil {
		t.Fatal(err)
	}

	s.status(t, alice, http.MethodDelete, "/api/v1/applications/keep?cascade=false", nil, http.StatusForbidden)
	s.status(t, admin, http.MethodDelete, "/api/v1/applications/keep?cascade=false&propagationPolicy=background", nil, http.StatusBadRequest)
	s.status(t, admin, http.MethodDelete, "/api/v1/applications/keep?cascade=false", nil, http.StatusOK)
	eventually(t, "the Application gone", func(ctx context.Context) (bool, error) {
		err := s.Client.Get(ctx, client.ObjectKeyFromObject(keep), &v1alpha1.Application{})
		return apierrors.IsNotFound(err), nil
	})
	if err := s.Client.Get(t.Context(), client.ObjectKeyFromObject(object), &corev1.ConfigMap{}); err != nil {
		t.Errorf("the object of an Application deleted without cascade: %v", err)
	}

	s.status(t, admin, http.MethodDelete, "/api/v1/applications/cascade?propagationPolicy=orphan", nil, http.StatusBadRequest)
	s.status(t, admin, http.MethodDelete, "/api/v1/applications/cascade?propagationPolicy=background", nil, http.StatusOK)
	got := stored(t, s, "cascade")
	if got.DeletionTimestamp == nil || !cmp.Equal(got.Finalizers, []string{v1alpha1.BackgroundResourcesFinalizer}) {
		t.Errorf("after a cascading delete: deletion %v, finalizers %v; want deleting, held by the background finalizer", got.DeletionTimestamp, got.Finalizers)
	}
	got.Finalizers = nil // no controller runs here to honour it
	if err := s.Client.Update(t.Context(), got); err != nil {
		t.Fatal(err)
	}
}
