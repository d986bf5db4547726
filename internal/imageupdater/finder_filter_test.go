package imageupdater

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/time/rate"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestFinderPlatforms(t *testing.T) {
	reg, f := startRegistry(t, FinderOptions{Platform: "linux/amd64"})
	p := newPusher(t, reg, "app")
	// multi has an old amd64 build and a new arm64 one; x86 is a newer
	// amd64-only image.
	p.tag(p.index(p.image(at(2), amd64), p.image(at(9), arm64)), "multi")
	p.tag(p.image(at(4), amd64), "x86")
	image := reg.Host + "/app"
	tests := []struct {
		name      string
		platforms string
		want      string
	}{
		{"the default platform", "", "x86"},
		{"arm64 only in the index", "linux/arm64", "multi"},
		{"amd64", "linux/amd64", "x86"},
		{"either", "linux/arm64,linux/amd64", "multi"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			annotations := map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "app.update-strategy": "newest-build"}
			if tt.platforms != "" {
				annotations[AnnotationPrefix+"app.platforms"] = tt.platforms
			}
			got := updates(t, f, annotations, image+":old")
			if len(got) != 1 || got[0].Tag != tt.want {
				t.Errorf("Updates = %+v, want one to %s", got, tt.want)
			}
		})
	}
	// No image for the platform: no update.
	annotations := map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "app.update-strategy": "newest-build", AnnotationPrefix + "app.platforms": "linux/s390x"}
	if got := updates(t, f, annotations, image+":old"); len(got) != 0 {
		t.Errorf("Updates for s390x = %+v, want none", got)
	}
}

func TestFinderAllowAndIgnoreTags(t *testing.T) {
	reg, f := startRegistry(t, FinderOptions{})
	p := newPusher(t, reg, "admin-api")
	p.tagged(at(1), "2.1.0-SNAPSHOT", "2.4.0-SNAPSHOT", "2.5.0", "3.0.0-SNAPSHOT", "2.9.0-SNAPSHOT")
	image := reg.Host + "/admin-api"
	tests := []struct {
		name        string
		annotations map[string]string
		want        string
	}{
		// The article's annotations as written: an entry with an empty
		// alias, no constraint (so pre-releases count), and .allow-tags.
		{"the article's allow-tags", map[string]string{
			AnnotationImageList:              "=" + image,
			AnnotationPrefix + ".allow-tags": `regexp:2\.\d+\.\d+-SNAPSHOT`,
		}, "2.9.0-SNAPSHOT"},
		{"ignore-tags", map[string]string{
			AnnotationImageList:              "api=" + image + ":>=2.0.0-0",
			AnnotationPrefix + "ignore-tags": "3.*, 2.9.*",
		}, "2.5.0"},
		{"ignore everything pauses", map[string]string{
			AnnotationImageList:                  "api=" + image + ":>=2.0.0-0",
			AnnotationPrefix + "api.ignore-tags": "*",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := updates(t, f, tt.annotations, image+":2.1.0-SNAPSHOT")
			var tags []string
			for _, u := range got {
				tags = append(tags, u.Tag)
			}
			var want []string
			if tt.want != "" {
				want = []string{tt.want}
			}
			if diff := cmp.Diff(want, tags); diff != "" {
				t.Errorf("chosen tags (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinderForceUpdate(t *testing.T) {
	reg, f := startRegistry(t, FinderOptions{})
	p := newPusher(t, reg, "app")
	p.tagged(at(1), "1.0.0", "1.1.0")
	image := reg.Host + "/app"
	withParams := func(tag string) *v1alpha1.Application {
		a := app(map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "app.force-update": "true"})
		a.Spec.Source = &v1alpha1.ApplicationSource{Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{
			{Name: "image.name", Value: image}, {Name: "image.tag", Value: tag},
		}}}
		return a
	}
	tests := []struct {
		name string
		app  *v1alpha1.Application
		want []Update
	}{
		{"parameters at an old version", withParams("1.0.0"), []Update{{Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, From: "1.0.0", Tag: "1.1.0"}}},
		{"parameters at the chosen version", withParams("1.1.0"), nil},
		{"no version known", app(map[string]string{AnnotationImageList: "app=" + image, AnnotationPrefix + "force-update": "true"}), []Update{{Namespace: "argocd", App: "guestbook", Alias: "app", Image: image, Tag: "1.1.0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.Updates(t.Context(), tt.app)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Updates (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFinderRegistryDown(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := l.Addr().String()
	l.Close()
	reg, f := startRegistry(t, FinderOptions{})
	newPusher(t, reg, "up").tagged(at(1), "1.0.0", "1.1.0")
	conf := confFor(t, reg, "credentials: env:TEST_REGISTRY_CREDS")
	conf.Registries = append(conf.Registries, RegistryConfig{Name: "broken", APIURL: "http://" + down, Prefix: down})
	f.SetRegistries(conf)

	up, gone := reg.Host+"/up", down+"/app"
	got, err := f.Updates(t.Context(), app(map[string]string{AnnotationImageList: "gone=" + gone + ", up=" + up}, gone+":1.0.0", up+":1.0.0"))
	if err == nil || !strings.Contains(err.Error(), "registry broken") || !strings.Contains(err.Error(), gone) {
		t.Errorf("error = %v, want one naming registry broken and image %s", err, gone)
	}
	want := []Update{{Namespace: "argocd", App: "guestbook", Alias: "up", Image: up, From: "1.0.0", Tag: "1.1.0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Updates (-want +got): the image on the broken registry must have none\n%s", diff)
	}
}

func TestFinderCachesTagLists(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(at(0))
	var requests requestCounter
	reg, f := startRegistry(t, FinderOptions{Clock: clk, OnRequest: requests.observe})
	p := newPusher(t, reg, "app")
	p.tagged(at(1), "1.0.0")
	image := reg.Host + "/app"
	annotations := map[string]string{AnnotationImageList: "app=" + image}

	if got := updates(t, f, annotations, image+":0.9.0"); len(got) != 1 || got[0].Tag != "1.0.0" {
		t.Fatalf("first Updates = %+v, want one to 1.0.0", got)
	}
	first := requests.count()
	p.tagged(at(2), "1.1.0")
	if got := updates(t, f, annotations, image+":0.9.0"); len(got) != 1 || got[0].Tag != "1.0.0" {
		t.Errorf("Updates within the cache's lifetime = %+v, want the cached list's 1.0.0", got)
	}
	if n := requests.count(); n != first {
		t.Errorf("%d registry requests within the cache's lifetime, want none", n-first)
	}
	clk.SetTime(at(0).Add(DefaultCacheTTL))
	if got := updates(t, f, annotations, image+":0.9.0"); len(got) != 1 || got[0].Tag != "1.1.0" {
		t.Errorf("Updates after the cache expired = %+v, want one to 1.1.0", got)
	}
}

func TestRegistryRateLimit(t *testing.T) {
	conf, err := ParseRegistriesConf([]byte("registries:\n- {name: slow, api_url: 'https://slow.io', prefix: slow.io, limit: 3}\n- {name: other, api_url: 'https://other.io', prefix: other.io}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := NewFinder(FinderOptions{})
	f.SetRegistries(conf)
	for image, want := range map[string]int{"slow.io/a": 3, "other.io/a": DefaultRateLimit, "nginx": DefaultRateLimit, "quay.io/a/b": DefaultRateLimit} {
		rc, err := f.client(conf.locate(image).Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		if got := rc.limiter.Limit(); got != rate.Limit(want) || rc.limiter.Burst() != want {
			t.Errorf("%s: %v requests per second, burst %d; want %d", image, got, rc.limiter.Burst(), want)
		}
	}
}

// TestFinderRegistryHangs: a registry that takes connections and never
// answers gives an error once the request timeout passes, not a cycle
// that waits forever.
func TestFinderRegistryHangs(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	host := l.Addr().String()
	conf, err := ParseRegistriesConf([]byte("registries:\n- {name: silent, api_url: 'http://" + host + "', prefix: '" + host + "'}\n"))
	if err != nil {
		t.Fatal(err)
	}
	f := NewFinder(FinderOptions{RequestTimeout: 100 * time.Millisecond})
	f.SetRegistries(conf)
	image := host + "/app"
	got, err := f.Updates(t.Context(), app(map[string]string{AnnotationImageList: "app=" + image}, image+":1.0.0"))
	if err == nil || !strings.Contains(err.Error(), "registry silent") || len(got) != 0 {
		t.Errorf("Updates = %+v, %v; want no update and an error naming registry silent", got, err)
	}
}

// TestSetRegistriesKeepsClientsWhileUnchanged: the conf is read again each
// cycle; the same conf keeps the registries' clients (caches, limits,
// credentials), an edited one replaces them rather than adding to them.
func TestSetRegistriesKeepsClientsWhileUnchanged(t *testing.T) {
	conf := func(limit int) *RegistriesConf {
		c, err := ParseRegistriesConf(fmt.Appendf(nil, "registries:\n- {name: a, api_url: 'https://a.io', prefix: a.io, limit: %d}\n", limit))
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	f := NewFinder(FinderOptions{})
	client := func() *registryClient {
		rc, err := f.client(f.registries().locate("a.io/app").Endpoint)
		if err != nil {
			t.Fatal(err)
		}
		return rc
	}
	f.SetRegistries(conf(1))
	first := client()
	f.SetRegistries(conf(1))
	if client() != first {
		t.Error("the same registries.conf read again replaced the registry's client")
	}
	for limit := 2; limit < 5; limit++ {
		f.SetRegistries(conf(limit))
		client()
	}
	if n := len(f.clients); n != 1 {
		t.Errorf("%d registry clients after four edits, want 1", n)
	}
}
