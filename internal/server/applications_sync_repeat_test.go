package server

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// A sync equal to the one that has run, asked for while the controller
// has yet to clear that one, is written anew (cleared, then written), so
// that the generation it raises tells the controller it is a new request.
func TestApplicationSyncRequestedAgainBeforeItIsCleared(t *testing.T) {
	s := newTestServer(t)
	admin := s.loginAdmin(t)
	createApps(t, s, appIn(s, "guestbook", "", "https://git.example.com/a"))
	path := "/api/v1/applications/guestbook/sync"
	s.status(t, admin, http.MethodPost, path, `{"prune":true}`, http.StatusOK)
	ran := stored(t, s, "guestbook")
	if ran.Operation == nil {
		t.Fatal("the first sync wrote no operation")
	}
	// The controller recorded the operation's end and has not cleared it.
	setStatus(t, s, "guestbook", func(st *v1alpha1.ApplicationStatus) {
		st.OperationState = &v1alpha1.OperationState{Operation: *ran.Operation, Phase: v1alpha1.OperationSucceeded, StartedAt: metav1.Now()}
	})

	s.status(t, admin, http.MethodPost, path, `{"prune":true}`, http.StatusOK)
	again := stored(t, s, "guestbook")
	if diff := cmp.Diff(ran.Operation, again.Operation); diff != "" {
		t.Errorf("the operation requested again (-first +again):\n%s", diff)
	}
	if again.Generation < ran.Generation+2 {
		t.Errorf("generation %d after the request, %d before: the request was not cleared and written anew", again.Generation, ran.Generation)
	}
}
