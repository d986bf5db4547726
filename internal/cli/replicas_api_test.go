package cli

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// TestAPIReplicasAreInterchangeable starts two `capstan run` replicas at
// once on a fresh namespace, as a Deployment's rollout does: they agree on
// one server.secretkey, one certificate and one admin password, so a
// session opened on one is honoured by the other and a Service may send
// any request to either; and a session logged out on one is refused by
// the other.
func TestAPIReplicasAreInterchangeable(t *testing.T) {
	cl := clusterClient(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "api-replicas-"}}
	if err := cl.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	addresses := []string{freeAddress(t), freeAddress(t)}
	for i, name := range []string{"a", "b"} {
		startCommand(t, "run", name, ns.Name, "--server-address", addresses[i], "--image-updater=false")
	}
	c := trustingClient(t, cl, ns.Name)
	password := initialAdminPassword(t, cl, ns.Name)
	// Logging in at each waits until it answers, and shows it holds the
	// same admin password and a certificate the client trusts.
	tokens := make([]string, len(addresses))
	for i, address := range addresses {
		tokens[i] = apiLogin(t, c, "https://"+address, "admin", password)
	}
	for i := range addresses {
		from, to := addresses[i], addresses[1-i]
		if info := apiGet(t, c, "https://"+to+"/api/v1/session/userinfo", tokens[i]); !strings.Contains(info, `"loggedIn":true`) {
			t.Errorf("a session opened at %s, shown to %s: userinfo %s", from, to, info)
		}
	}

	// A logout at A is refused at A at once, and at B once B's cache has
	// seen it.
	a, b := "https://"+addresses[0], "https://"+addresses[1]
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodDelete, a+"/api/v1/session", nil)
	req.Header.Set("Authorization", "Bearer "+tokens[0])
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("log out at A: %s", resp.Status)
	}
	if info := apiGet(t, c, a+"/api/v1/session/userinfo", tokens[0]); !strings.Contains(info, `"loggedIn":false`) {
		t.Errorf("a session logged out at A, shown to A: userinfo %s", info)
	}
	var info string
	err = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		info = apiGet(t, c, b+"/api/v1/session/userinfo", tokens[0])
		return strings.Contains(info, `"loggedIn":false`), nil
	})
	if err != nil {
		t.Errorf("a session logged out at A, shown to B: userinfo %s", info)
	}
	if info := apiGet(t, c, b+"/api/v1/session/userinfo", tokens[1]); !strings.Contains(info, `"loggedIn":true`) {
		t.Errorf("the session opened at B after a logout of another: userinfo %s", info)
	}
}
