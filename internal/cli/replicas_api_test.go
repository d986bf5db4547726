package cli

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestAPIReplicasAreInterchangeable starts two `capstan run` replicas at
// once on a fresh namespace, as a Deployment's rollout does: they agree on
// one server.secretkey, one certificate and one admin password, so a
// session opened on one is honoured by the other and a Service may send
// any request to either.
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
}
