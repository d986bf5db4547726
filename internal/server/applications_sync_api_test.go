package server

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// setStatus writes the status of Application name and waits until the
// API's cache holds it.
func setStatus(t *testing.T, s *testServer, name string, status func(*v1alpha1.ApplicationStatus)) {
	t.Helper()
	app := stored(t, s, name)
	status(&app.Status)
	if err := s.Client.Status().Update(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	cachedWhen(t, s, name, func(got *v1alpha1.Application) bool { return appcache.VersionOf(got) >= appcache.VersionOf(app) })
}

// The sync writes the operation the controller runs, initiated by the
// caller, and refuses a second one while the first is pending; terminate
// withdraws a pending operation and stops a running one.
func TestApplicationSyncAndTerminate(t *testing.T) {
	s := newTestServer(t, withAccount("alice", "login", "alice-password"), withAccount("bob", "login", "bob-password"),
		withAccount("carol", "login", "carol-password"),
		withGrants(grants{"alice": {"get team-a", "sync team-a", "override team-a"}, "bob": {"get team-a"}, "carol": {"get team-a", "sync team-a"}}))
	alice, bob, carol := s.login(t, "alice", "alice-password"), s.login(t, "bob", "bob-password"), s.login(t, "carol", "carol-password")
	createApps(t, s, appIn(s, "guestbook", "team-a", "https://git.example.com/a"))
	path := "/api/v1/applications/guestbook"

	body := `{"revision":"v1","prune":true,"dryRun":false,"strategy":{"hook":{"force":true}},
		"resources":[{"group":"apps","kind":"Deployment","name":"web","namespace":"team-a"}],
		"syncOptions":{"items":["CreateNamespace=true"]},"retryStrategy":{"limit":2,"backoff":{"duration":"1s"}},
		"infos":[{"name":"reason","value":"release"}]}`
	s.status(t, bob, http.MethodPost, path+"/sync", body, http.StatusForbidden)
	// Another revision, or local manifests, need override too.
	s.status(t, carol, http.MethodPost, path+"/sync", body, http.StatusForbidden)
	s.status(t, carol, http.MethodPost, path+"/sync", `{"manifests":["{}"]}`, http.StatusForbidden)
	s.status(t, alice, http.MethodPost, "/api/v1/applications/missing/sync", body, http.StatusForbidden)
	var answered v1alpha1.Application
	s.decode(t, s.do(t, alice, http.MethodPost, path+"/sync", body), http.StatusOK, &answered)
	hook := &v1alpha1.SyncStrategyHook{}
	hook.Force = true
	want := &v1alpha1.Operation{
		Sync: &v1alpha1.SyncOperation{Revision: "v1", Prune: true, SyncStrategy: &v1alpha1.SyncStrategy{Hook: hook},
			Resources:   []v1alpha1.SyncOperationResource{{Group: "apps", Kind: "Deployment", Name: "web", Namespace: "team-a"}},
			SyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"}},
		InitiatedBy: v1alpha1.OperationInitiator{Username: "alice"},
		Info:        []v1alpha1.Info{{Name: "reason", Value: "release"}},
		Retry:       v1alpha1.RetryStrategy{Limit: 2, Backoff: &v1alpha1.Backoff{Duration: "1s"}},
	}
	if diff := cmp.Diff(want, stored(t, s, "guestbook").Operation); diff != "" {
		t.Fatalf("stored operation (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, answered.Operation); diff != "" {
		t.Errorf("answered operation (-want +got):\n%s", diff)
	}

	cachedWhen(t, s, "guestbook", func(a *v1alpha1.Application) bool { return a.Operation != nil })
	if msg := s.errorOf(t, alice, http.MethodPost, path+"/sync", `{}`, http.StatusBadRequest); !strings.Contains(msg, "another operation is already in progress") {
		t.Errorf("a second sync: %q", msg)
	}
	s.status(t, bob, http.MethodDelete, path+"/operation", nil, http.StatusForbidden)
	s.status(t, alice, http.MethodDelete, path+"/operation", nil, http.StatusOK)
	if op := stored(t, s, "guestbook").Operation; op != nil {
		t.Fatalf("a pending operation was not withdrawn: %+v", op)
	}

	// An operation the controller runs, started by automation: the API
	// sets it Terminating, which the controller ends.
	setStatus(t, s, "guestbook", func(st *v1alpha1.ApplicationStatus) {
		st.OperationState = &v1alpha1.OperationState{Phase: v1alpha1.OperationRunning, StartedAt: metav1.Now(),
			Operation: v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{}, InitiatedBy: v1alpha1.OperationInitiator{Automated: true}}}
	})
	s.status(t, alice, http.MethodPost, path+"/sync", `{}`, http.StatusBadRequest)
	s.status(t, alice, http.MethodDelete, path+"/operation", nil, http.StatusOK)
	if os := stored(t, s, "guestbook").Status.OperationState; os.Phase != v1alpha1.OperationTerminating {
		t.Fatalf("a terminated operation is %s, want Terminating", os.Phase)
	}

	setStatus(t, s, "guestbook", func(st *v1alpha1.ApplicationStatus) { st.OperationState.Phase = v1alpha1.OperationFailed })
	s.status(t, alice, http.MethodDelete, path+"/operation", nil, http.StatusBadRequest)
	s.status(t, carol, http.MethodPost, path+"/sync", `{"revision":"main","dryRun":true}`, http.StatusOK)
}

// A rollback syncs a history entry's revision and source without hooks,
// and is refused under automated sync.
func TestApplicationRollback(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	auto := appIn(s, "auto", "", "https://git.example.com/a")
	auto.Spec.SyncPolicy = &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{}}
	createApps(t, s, appIn(s, "guestbook", "", "https://git.example.com/a"), auto)
	old := v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/a", Path: "old", TargetRevision: "v1"}
	history := func(st *v1alpha1.ApplicationStatus) {
		st.History = v1alpha1.RevisionHistories{
			{ID: 1, Revision: "1111111111111111111111111111111111111111", Source: old, DeployedAt: metav1.Now()},
			{ID: 2, Revision: "2222222222222222222222222222222222222222", Source: *appIn(s, "", "", "https://git.example.com/a").Spec.Source, DeployedAt: metav1.Now()},
		}
	}
	setStatus(t, s, "guestbook", history)
	setStatus(t, s, "auto", history)

	if msg := s.errorOf(t, admin, http.MethodPost, "/api/v1/applications/auto/rollback", `{"id":"1"}`, http.StatusBadRequest); !strings.Contains(msg, "auto-sync is enabled") {
		t.Errorf("rollback under automated sync: %q", msg)
	}
	s.status(t, admin, http.MethodPost, "/api/v1/applications/guestbook/rollback", `{"id":9}`, http.StatusBadRequest)
	s.status(t, admin, http.MethodPost, "/api/v1/applications/guestbook/rollback", `{"id":"1","prune":true}`, http.StatusOK)
	want := &v1alpha1.Operation{
		Sync: &v1alpha1.SyncOperation{Revision: "1111111111111111111111111111111111111111", Source: &old, Prune: true,
			SyncStrategy: &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{}}},
		InitiatedBy: v1alpha1.OperationInitiator{Username: "admin"},
	}
	if diff := cmp.Diff(want, stored(t, s, "guestbook").Operation); diff != "" {
		t.Errorf("rollback operation (-want +got):\n%s", diff)
	}
}

// A sync is refused while a deny window of the project is open.
func TestApplicationSyncWindow(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	frozen := &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Namespace: s.Namespace, Name: "frozen"}, Spec: v1alpha1.AppProjectSpec{
		SourceRepos:  []string{"*"},
		Destinations: []v1alpha1.ApplicationDestination{{Server: "*", Namespace: "*"}},
		SyncWindows:  v1alpha1.SyncWindows{{Kind: v1alpha1.SyncWindowKindDeny, Schedule: "* * * * *", Duration: "2m", Applications: []string{"held"}}},
	}}
	if err := s.Client.Create(t.Context(), frozen); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the cache to see AppProject frozen", func(ctx context.Context) (bool, error) {
		return s.API.Client.Get(ctx, client.ObjectKeyFromObject(frozen), &v1alpha1.AppProject{}) == nil, nil
	})
	createApps(t, s, appIn(s, "held", "frozen", "https://git.example.com/a"), appIn(s, "free", "frozen", "https://git.example.com/a"))
	if msg := s.errorOf(t, admin, http.MethodPost, "/api/v1/applications/held/sync", `{}`, http.StatusForbidden); !strings.Contains(msg, "deny sync window") {
		t.Errorf("sync in a deny window: %q", msg)
	}
	if op := stored(t, s, "held").Operation; op != nil {
		t.Errorf("a refused sync wrote %+v", op)
	}
	s.status(t, admin, http.MethodPost, "/api/v1/applications/free/sync", `{}`, http.StatusOK)
}
