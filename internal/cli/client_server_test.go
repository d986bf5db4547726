package cli

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/rbac"
	"github.com/capstan-cd/capstan/internal/server"
	"github.com/capstan-cd/capstan/internal/session"
	"github.com/capstan-cd/capstan/internal/settings"
)

// cliServer is a real capstan server for the client commands to talk to,
// with local accounts and RBAC over TLS, on a control-plane namespace of
// its own.
type cliServer struct {
	namespace     string
	address       string // host:port of the API
	adminPassword string
	direct        client.Client
	config        string // the client's configuration file
}

// newCLIServer starts a capstan server: with controller, `capstan run` as
// a process of its own (controller, API and webhook, as users run it);
// without, the API alone in the test's process, which starts faster.
func newCLIServer(t *testing.T, controller bool) *cliServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	direct := clusterClient(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "cli-"}}
	if err := direct.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: settings.ConfigMap, Namespace: ns.Name},
		Data: map[string]string{"capstan.allowFileRepositories": "true", "timeout.reconciliation": "1h"}}
	if err := direct.Create(ctx, cm); err != nil {
		t.Fatal(err)
	}
	s := &cliServer{namespace: ns.Name, direct: direct, config: filepath.Join(t.TempDir(), "config")}
	if controller {
		// A process of its own: controllers register names once a process.
		s.address = freeAddress(t)
		startCommand(t, "run", "run", ns.Name, "--leader-elect=false", "--server-address", s.address)
	} else {
		s.address = startAPI(ctx, t, ns.Name, direct)
	}
	var initial corev1.Secret
	eventually(t, func() bool {
		return direct.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: session.InitialAdminSecret}, &initial) == nil
	})
	s.adminPassword = string(initial.Data["password"])
	return s
}

// startAPI serves the API of namespace in the test's process, over TLS,
// and returns its address: the API of --core, with local accounts and the
// built-in RBAC roles in place of its admin.
func startAPI(ctx context.Context, t *testing.T, namespace string, direct client.Client) string {
	t.Helper()
	api, err := coreAPI(ctx, env.Config(), namespace)
	if err != nil {
		t.Fatal(err)
	}
	sessions := session.New(session.Options{Namespace: namespace, Client: api.Client, Reader: direct})
	if err := sessions.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	cfg, err := rbac.ParseConfig(nil) // the admin may do anything
	if err != nil {
		t.Fatal(err)
	}
	enf, err := rbac.New(cfg, api.Client, namespace)
	if err != nil {
		t.Fatal(err)
	}
	api.Auth, api.Sessions, api.RBAC = server.Sessions{Manager: sessions}, sessions, server.NewAuthorizer(enf)
	srv := httptest.NewUnstartedServer(api.Handler())
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "https://")
}

// run runs the capstan command args with the server's configuration file
// and stdin as input, and returns what it printed.
func (s *cliServer) run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	return runCLI(t, stdin, append(args, "--config", s.config)...)
}

// must is run, failing the test on an error.
func (s *cliServer) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := s.run(t, "", args...)
	if err != nil {
		t.Fatalf("capstan %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// login logs the admin in through the CLI, once the server answers.
func (s *cliServer) login(t *testing.T) {
	t.Helper()
	args := []string{"login", s.address, "--insecure", "--username", session.Admin, "--password", s.adminPassword}
	eventually(t, func() bool { _, err := s.run(t, "", args...); return err == nil })
	s.must(t, args...)
}

func runCLI(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	cmd := NewRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(t.Context())
	return out.String(), err
}

// readFile reads a file, failing the test when it cannot.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// eventually waits, at most 30 seconds, for cond: what the API serves
// from its cache follows a write, it does not come with it.
func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	_ = wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	})
}
