package session

import (
	"context"
	"os"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// env is the package's control plane: sessions read and write real
// ConfigMaps and Secrets.
var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }

// clock is a settable clock for a Manager.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fixture is a namespace of its own with argocd-cm holding cm, and a
// bootstrapped Manager on it.
type fixture struct {
	ns    string
	cl    client.Client
	clock *clock
	m     *Manager
}

func newFixture(t *testing.T, cm map[string]string, lockout LockoutPolicy) *fixture {
	t.Helper()
	ctx := t.Context()
	cl := env.Client(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "session-"}}
	if err := cl.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	if cm != nil {
		obj := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: ConfigMap}, Data: cm}
		if err := cl.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{ns: ns.Name, cl: cl, clock: &clock{now: time.Now()}}
	f.m = f.manager(lockout)
	if err := f.m.Bootstrap(ctx); err != nil {
		t.Fatal(err)
	}
	return f
}

// manager is a fresh Manager on the fixture's namespace: it knows only
// what the cluster holds.
func (f *fixture) manager(lockout LockoutPolicy) *Manager {
	return New(Options{Namespace: f.ns, Client: f.cl, Now: f.clock.Now, Lockout: lockout})
}

// secret is argocd-secret's data, or the initial admin secret's.
func (f *fixture) secret(t *testing.T, name string) map[string][]byte {
	t.Helper()
	var s corev1.Secret
	if err := f.cl.Get(context.WithoutCancel(t.Context()), client.ObjectKey{Namespace: f.ns, Name: name}, &s); err != nil {
		t.Fatal(err)
	}
	return s.Data
}

// setPassword sets the password of account name through the admin.
func (f *fixture) setPassword(t *testing.T, name, password string) {
	t.Helper()
	admin := string(f.secret(t, InitialAdminSecret)["password"])
	if err := f.m.UpdatePassword(t.Context(), Admin, admin, name, password); err != nil {
		t.Fatal(err)
	}
}
