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

// cliServer is a real capstan server for the client commands to talk to:
// the API with local accounts and RBAC over TLS and, when asked, the Application
// controller (`capstan controller`), both on a control-plane namespace of their
// own.
type cliServer struct {
	namespace     string
	address       string // host:port of the API
	adminPassword string
	direct        client.Client
	config        string // the client's configuration file
}

// newCLIServer starts the API, and the controller when controller is true.
func newCLIServer(t *testing.T, controller bool) *cliServer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
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
	// The API of --core, with local accounts in place of its admin.
	api, err := coreAPI(ctx, env.Config(), ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	sessions := session.New(session.Options{Namespace: ns.Name, Client: api.Client, Reader: direct})
	if err := sessions.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	var initial corev1.Secret
	if err := direct.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: session.InitialAdminSecret}, &initial); err != nil {
		t.Fatal(err)
	}
	cfg, err := rbac.ParseConfig(nil) // the built-in roles: the admin may do anything
	if err != nil {
		t.Fatal(err)
	}
	enf, err := rbac.New(cfg, api.Client, ns.Name)
	if err != nil {
		t.Fatal(err)
	}
	api.Auth, api.Sessions, api.RBAC = server.Sessions{Manager: sessions}, sessions, server.NewAuthorizer(enf)
	srv := httptest.NewUnstartedServer(api.Handler())
	srv.StartTLS()
	s := &cliServer{namespace: ns.Name, address: strings.TrimPrefix(srv.URL, "https://"), adminPassword: string(initial.Data["password"]),
		direct: direct, config: filepath.Join(t.TempDir(), "config")}
	if controller {
		// A process of its own: controllers register names once a process.
		startReplica(t, "controller", ns.Name, "--leader-elect=false")
	}
	t.Cleanup(func() {
		srv.Close()
		cancel()
	})
	return s
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

// login logs the admin in through the CLI.
func (s *cliServer) login(t *testing.T) {
	t.Helper()
	s.must(t, "login", s.address, "--insecure", "--username", session.Admin, "--password", s.adminPassword)
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
