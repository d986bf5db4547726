package imageupdater

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/opencontainers/go-digest"
	"github.com/opencontainers/image-spec/specs-go"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	iu "github.com/capstan-cd/capstan/internal/imageupdater"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

var env *testenv.Env

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	os.Exit(testenv.Run(m, &env))
}

// pushTags pushes one linux/amd64 image per tag to path in the registry.
func pushTags(t *testing.T, reg *registry.Registry, path string, tags ...string) {
	t.Helper()
	repo, err := remote.NewRepository(reg.Host + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	repo.PlainHTTP = true
	repo.Client = &auth.Client{Client: http.DefaultClient, Cache: auth.NewCache(),
		Credential: auth.StaticCredential(reg.Host, auth.Credential{Username: reg.Username, Password: reg.Password})}
	push := func(mediaType string, v any) ocispec.Descriptor {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		desc, err := oras.PushBytes(t.Context(), repo, mediaType, data)
		if err != nil {
			t.Fatal(err)
		}
		return desc
	}
	for i, tag := range tags {
		created := time.Date(2026, 1, 1, 0, i, 0, 0, time.UTC)
		layer := push(ocispec.MediaTypeImageLayer, "layer "+tag)
		cfg := push(ocispec.MediaTypeImageConfig, ocispec.Image{Created: &created, Platform: ocispec.Platform{OS: "linux", Architecture: "amd64"},
			RootFS: ocispec.RootFS{Type: "layers", DiffIDs: []digest.Digest{layer.Digest}}})
		m := push(ocispec.MediaTypeImageManifest, ocispec.Manifest{Versioned: specs.Versioned{SchemaVersion: 2},
			MediaType: ocispec.MediaTypeImageManifest, Config: cfg, Layers: []ocispec.Descriptor{layer}})
		if err := repo.Tag(t.Context(), m, tag); err != nil {
			t.Fatal(err)
		}
	}
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

func newWorld(t *testing.T, configData map[string]string) *world {
	t.Helper()
	c := env.Client(t)
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
	events, err := NewEventRecorder(t.Context(), env.Config(), testenv.Scheme(t))
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

func create(t *testing.T, c client.Client, obj client.Object) {
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
func eventually(t *testing.T, what string, cond func() bool) {
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
