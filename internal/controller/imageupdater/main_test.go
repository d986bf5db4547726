package imageupdater

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iuv1 "github.com/capstan-cd/capstan/api/imageupdater/v1alpha1"
	iu "github.com/capstan-cd/capstan/internal/imageupdater"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, &env))
}

// world is a namespace of the test cluster with argocd-image-updater-config
// pointing at a real registry, and an Updater for it.
type world struct {
	ns  string
	c   client.Client
	reg *registry.Registry
	clk *clocktesting.FakeClock
	u   *Updater
}

func newWorld(t testing.TB, configData map[string]string) *world {
	t.Helper()
	scheme := testenv.Scheme(t)
	if err := iuv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	c, err := client.New(env.Config(), client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := fmt.Sprintf("iu-%d", time.Now().UnixNano())
	create(t, c, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}})
	reg := registry.Start(t, registry.Options{})
	create(t, c, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "regcreds", Namespace: ns},
		StringData: map[string]string{"creds": reg.Username + ":" + reg.Password}})
	data := map[string]string{iu.RegistriesConfKey: fmt.Sprintf(
		"registries:\n- name: test\n  api_url: http://%s\n  prefix: %s\n  credentials: secret:%s/regcreds#creds\n", reg.Host, reg.Host, ns)}
	for k, v := range configData {
		data[k] = v
	}
	create(t, c, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: iu.ConfigMapName, Namespace: ns}, Data: data})
	events, err := NewEventRecorder(t.Context(), env.Config(), scheme)
	if err != nil {
		t.Fatal(err)
	}
	clk := clocktesting.NewFakeClock(time.Now())
	u := &Updater{
		Client: c, Finder: iu.NewFinder(iu.FinderOptions{Secrets: c, OnRequest: iu.ObserveRegistryRequest}),
		Events: events, Clock: clk, Opts: Options{Namespace: ns, Interval: time.Minute},
	}
	return &world{ns: ns, c: c, reg: reg, clk: clk, u: u}
}

func create(t testing.TB, c client.Client, obj client.Object) {
	t.Helper()
	if err := c.Create(context.Background(), obj); err != nil {
		t.Fatal(err)
	}
}

// cycle runs one cycle and fails the test when it could not run.
func (w *world) cycle(t *testing.T) *Report {
	t.Helper()
	r, err := w.u.Cycle(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// eventually polls cond for a bounded time.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventReasons lists the reasons of the Events on the Application.
func (w *world) eventReasons(t *testing.T, app string) map[string]string {
	t.Helper()
	var list corev1.EventList
	if err := w.c.List(t.Context(), &list, client.InNamespace(w.ns)); err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range list.Items {
		if e.InvolvedObject.Name == app {
			out[e.Reason] = e.Message
		}
	}
	return out
}

func keyOf(ns, name string) client.ObjectKey { return client.ObjectKey{Namespace: ns, Name: name} }
