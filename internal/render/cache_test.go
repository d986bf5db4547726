package render

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// checkout copies a case's repository to a new directory, as a new commit's
// checkout would be, and returns its root.
func checkout(t testing.TB, caseDir string) string {
	t.Helper()
	dst := t.TempDir()
	src := filepath.Join(caseDir, "repo")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func caseRequest(t testing.TB, caseDir, root string) Request {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(caseDir, "app.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var c goldenCase
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		t.Fatal(err)
	}
	return Request{AppName: c.AppName, Namespace: c.Namespace, Revision: c.Revision, Source: c.Source, Root: root}
}

func write(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCacheKeysByContentNotByCheckout(t *testing.T) {
	const overlay = "testdata/kustomize-overlay"
	cache := NewCache(10)
	render := func(root string) (*Result, bool) {
		t.Helper()
		res, hit, err := cache.Render(t.Context(), caseRequest(t, overlay, root))
		if err != nil {
			t.Fatal(err)
		}
		return res, hit
	}

	first, hit := render(checkout(t, overlay))
	if hit {
		t.Fatal("the first render was served from the cache")
	}
	// A new commit that touches nothing the app reads.
	root := checkout(t, overlay)
	write(t, filepath.Join(root, "other-team/app.yaml"), "kind: ConfigMap\n")
	second, hit := render(root)
	if !hit {
		t.Error("a commit that does not touch the app's inputs rendered again")
	}
	if diff := cmp.Diff(first.Objects, second.Objects); diff != "" {
		t.Errorf("cached objects differ (-first +cached):\n%s", diff)
	}
	// Changing what is served must not change the cache.
	second.Objects[0].SetName("changed-by-caller")
	if third, _ := render(root); third.Objects[0].GetName() == "changed-by-caller" {
		t.Error("a caller's change to a cached result leaked into the cache")
	}

	// The base lies outside the overlay's path: a change there must count.
	root = checkout(t, overlay)
	base := filepath.Join(root, "guestbook/base/deployment.yaml")
	data, _ := os.ReadFile(base)
	write(t, base, string(data)+"\n# touched\n")
	if _, hit := render(root); hit {
		t.Error("a change to the Kustomize base was served from the cache")
	}
	// A new file inside the path counts, even if nothing reads it yet.
	root = checkout(t, overlay)
	write(t, filepath.Join(root, "guestbook/overlays/staging/new.yaml"), "kind: ConfigMap\n")
	if _, hit := render(root); hit {
		t.Error("a new file in the app's path was served from the cache")
	}

	// A different spec is a different render.
	req := caseRequest(t, overlay, checkout(t, overlay))
	req.Namespace = "elsewhere"
	if _, hit, err := cache.Render(t.Context(), req); err != nil || hit {
		t.Errorf("a request for another namespace: hit=%v err=%v", hit, err)
	}
}

// A request that carries the Git hash of its path is keyed by it: the
// files under the path are not read again, while those outside it (a
// Kustomize base) still are.
func TestCacheKeysByPathHash(t *testing.T) {
	const overlay = "testdata/kustomize-overlay"
	cache := NewCache(10)
	render := func(root, hash string) bool {
		t.Helper()
		req := caseRequest(t, overlay, root)
		req.PathHash = hash
		_, hit, err := cache.Render(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		return hit
	}
	if render(checkout(t, overlay), "1111") {
		t.Fatal("the first render was served from the cache")
	}
	// The hash stands for the path's content: a file under it that
	// differs on disk is not read.
	root := checkout(t, overlay)
	write(t, filepath.Join(root, "guestbook/overlays/staging/new.yaml"), "kind: ConfigMap\n")
	if !render(root, "1111") {
		t.Error("the same path hash rendered again")
	}
	if render(root, "2222") {
		t.Error("another path hash was served from the cache")
	}
	root = checkout(t, overlay)
	base := filepath.Join(root, "guestbook/base/deployment.yaml")
	data, _ := os.ReadFile(base)
	write(t, base, string(data)+"\n# touched\n")
	if render(root, "1111") {
		t.Error("a change to the Kustomize base, outside the path, was served from the cache")
	}
	// Without a hash the files are read: the same tree is not the
	// render keyed by a hash.
	if render(checkout(t, overlay), "") {
		t.Error("a request without a path hash was served a render keyed by one")
	}
}

// A render read through a symbolic link is served again only while every
// link on the way leads where it led and the file it ends at is the same:
// a file outside the path that a link under it leads to, a link
// retargeted outside the path, or out of the path and back in, changes no
// Git hash of the path, and a value file outside it is read through its
// links too.
func TestCacheFollowsLinksWhereverTheyLead(t *testing.T) {
	configMap := func(name string) string {
		return "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: " + name + "}\n"
	}
	for _, tc := range []struct {
		name          string
		files         map[string]string // name: content, or "-> target" for a link
		helm          *v1alpha1.ApplicationSourceHelm
		change        map[string]string
		before, after string // the name of the ConfigMap rendered
		kept          bool   // before is still rendered after the change
	}{
		{
			name:   "a link out of the path to a file that changes",
			files:  map[string]string{"shared/config.yaml": configMap("one"), "apps/one/config.yaml": "-> ../../shared/config.yaml"},
			change: map[string]string{"shared/config.yaml": configMap("two")},
			before: "one", after: "two",
		},
		{
			name: "a link out of the path to a link retargeted",
			files: map[string]string{"shared/v1.yaml": configMap("v1"), "shared/v2.yaml": configMap("v2"),
				"shared/current.yaml": "-> v1.yaml", "apps/one/config.yaml": "-> ../../shared/current.yaml"},
			change: map[string]string{"shared/current.yaml": "-> v2.yaml"},
			before: "v1", after: "v2",
		},
		{
			name: "a link out of the path and back in, retargeted",
			files: map[string]string{"apps/one/sub/y.yaml": configMap("why"), "apps/one/sub/z.yaml": configMap("zed"),
				"shared/link.yaml": "-> ../apps/one/sub/y.yaml", "apps/one/x.yaml": "-> ../../shared/link.yaml"},
			change: map[string]string{"shared/link.yaml": "-> ../apps/one/sub/z.yaml"},
			before: "why", after: "zed",
		},
		{
			name: "a value file out of the path through a link retargeted",
			files: map[string]string{"apps/one/Chart.yaml": "apiVersion: v2\nname: one\nversion: 0.1.0\n",
				"apps/one/templates/cm.yaml": configMap("{{ .Values.name }}"),
				"shared/v1.yaml":             "name: v1\n", "shared/v2.yaml": "name: v2\n", "shared/values.yaml": "-> v1.yaml"},
			helm:   &v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"../../shared/values.yaml"}},
			change: map[string]string{"shared/values.yaml": "-> v2.yaml"},
			before: "v1", after: "v2",
		},
		{
			name: "a chart's templates behind a link out of the path, a template added",
			files: map[string]string{"apps/one/Chart.yaml": "apiVersion: v2\nname: one\nversion: 0.1.0\n",
				"shared/templates/a.yaml": configMap("a"), "apps/one/templates": "-> ../../shared/templates"},
			change: map[string]string{"shared/templates/b.yaml": configMap("b")},
			before: "a", after: "b", kept: true,
		},
		{
			name: "a file:// dependency out of the path, a template added",
			files: map[string]string{
				"apps/one/Chart.yaml":            "apiVersion: v2\nname: one\nversion: 0.1.0\ndependencies:\n- name: common\n  version: 0.1.0\n  repository: file://../../charts/common\n",
				"charts/common/Chart.yaml":       "apiVersion: v2\nname: common\nversion: 0.1.0\n",
				"charts/common/templates/a.yaml": configMap("a")},
			change: map[string]string{"charts/common/templates/b.yaml": configMap("b")},
			before: "a", after: "b", kept: true,
		},
		{
			name: "a file:// dependency out of the path, its .helmignore changed",
			files: map[string]string{
				"apps/one/Chart.yaml":            "apiVersion: v2\nname: one\nversion: 0.1.0\ndependencies:\n- name: common\n  version: 0.1.0\n  repository: file://../../charts/common\n",
				"charts/common/Chart.yaml":       "apiVersion: v2\nname: common\nversion: 0.1.0\n",
				"charts/common/.helmignore":      ".*\ntemplates/b.yaml\n",
				"charts/common/templates/a.yaml": configMap("a"), "charts/common/templates/b.yaml": configMap("b")},
			change: map[string]string{"charts/common/.helmignore": ".*\n"},
			before: "a", after: "b", kept: true,
		},
	} {
		for _, hash := range []string{"1111", ""} {
			t.Run(fmt.Sprintf("%s, path hash %q", tc.name, hash), func(t *testing.T) {
				root := t.TempDir()
				place := func(files map[string]string) {
					for name, content := range files {
						path := filepath.Join(root, name)
						target, isLink := strings.CutPrefix(content, "-> ")
						if !isLink {
							write(t, path, content)
							continue
						}
						if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
							t.Fatal(err)
						}
						if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
							t.Fatal(err)
						}
						if err := os.Symlink(target, path); err != nil {
							t.Fatal(err)
						}
					}
				}
				place(tc.files)
				cache := NewCache(4)
				req := Request{AppName: "one", Namespace: "default", Root: root, PathHash: hash,
					Source: v1alpha1.ApplicationSource{RepoURL: "https://example.com/r.git", Path: "apps/one", Helm: tc.helm}}
				rendered := func() (names []string, hit bool) {
					t.Helper()
					res, hit, err := cache.Render(t.Context(), req)
					if err != nil {
						t.Fatal(err)
					}
					for _, o := range res.Objects {
						names = append(names, o.GetName())
					}
					return names, hit
				}
				if names, hit := rendered(); hit || !slices.Contains(names, tc.before) {
					t.Fatalf("first render: %v, hit=%v; want %s rendered", names, hit, tc.before)
				}
				if _, hit := rendered(); !hit {
					t.Errorf("the same tree rendered again")
				}
				place(tc.change)
				if names, hit := rendered(); hit || !slices.Contains(names, tc.after) || slices.Contains(names, tc.before) != tc.kept {
					t.Errorf("after %v: %v, hit=%v; want a new render of %s", tc.change, names, hit, tc.after)
				}
			})
		}
	}
}

// The renders of one source replace each other: beyond the capacity, the
// cache keeps two of them, the latest first.
func TestCacheIsBounded(t *testing.T) {
	cache := NewCache(2)
	root := checkout(t, "testdata/directory")
	render := func(hash string) bool {
		t.Helper()
		req := caseRequest(t, "testdata/directory", root)
		req.PathHash = hash
		_, hit, err := cache.Render(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		return hit
	}
	for _, hash := range []string{"a", "b", "c"} {
		render(hash)
	}
	if n := cache.Len(); n != 2 {
		t.Errorf("cache holds %d renders, want its capacity 2", n)
	}
	if !render("c") || !render("b") {
		t.Error("the two latest renders were not kept")
	}
	if render("a") {
		t.Error("the least recently used render was kept")
	}
}

// A controller looks every Application up in turn, more of them than the
// cache's capacity: the cache grows to hold them all, then shrinks again
// when they are gone.
func TestCacheHoldsEverySourceItServes(t *testing.T) {
	cache := NewCache(2)
	root := checkout(t, "testdata/directory")
	render := func(app, hash string) bool {
		t.Helper()
		req := caseRequest(t, "testdata/directory", root)
		req.AppName, req.PathHash = app, hash
		_, hit, err := cache.Render(t.Context(), req)
		if err != nil {
			t.Fatal(err)
		}
		return hit
	}
	apps := []string{"a", "b", "c", "d", "e"}
	for _, app := range apps {
		render(app, "1")
	}
	for _, app := range apps {
		if !render(app, "1") {
			t.Errorf("app %s missed in the second round of look-ups", app)
		}
	}
	// One Application alone goes on: the others' renders age out, and
	// with them the room they took.
	for _, hash := range []string{"2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"} {
		render("a", hash)
	}
	if n := cache.Len(); n != 2 {
		t.Errorf("cache holds %d renders, want 2 once four of five Applications are gone", n)
	}
	if render("b", "1") {
		t.Error("a render of an Application gone for long was kept")
	}
}

func TestCacheDoesNotKeepFailures(t *testing.T) {
	cache := NewCache(2)
	root := checkout(t, "testdata/directory")
	req := caseRequest(t, "testdata/directory", root)
	broken := filepath.Join(root, filepath.FromSlash(req.Source.Path), "broken.yaml")
	write(t, broken, "kind: [unclosed\n")
	for range 2 {
		if res, hit, err := cache.Render(t.Context(), req); err == nil || hit || res != nil {
			t.Fatalf("a broken tree: res=%v hit=%v err=%v; want an error each time", res, hit, err)
		}
	}
	if n := cache.Len(); n != 0 {
		t.Errorf("the cache kept %d failed renders", n)
	}
}

func TestCacheKeysTheBuildEnvironment(t *testing.T) {
	root := checkout(t, "testdata/jsonnet")
	plain := caseRequest(t, "testdata/jsonnet", root)
	withRevision := caseRequest(t, "testdata/jsonnet", root)
	withRevision.Source.Directory.Jsonnet.ExtVars = append(withRevision.Source.Directory.Jsonnet.ExtVars,
		v1alpha1.JsonnetVar{Name: "revision", Value: "$ARGOCD_APP_REVISION"})
	for _, tt := range []struct {
		name    string
		req     Request
		wantHit bool
	}{
		{"a source that does not read the revision", plain, true},
		{"a source that reads $ARGOCD_APP_REVISION", withRevision, false},
	} {
		cache := NewCache(4)
		first, second := tt.req, tt.req
		first.Revision, second.Revision = "aaa", "bbb"
		if _, _, err := cache.Render(t.Context(), first); err != nil {
			t.Fatal(err)
		}
		if _, hit, err := cache.Render(t.Context(), second); err != nil || hit != tt.wantHit {
			t.Errorf("%s: a new revision gave hit=%v err=%v, want hit=%v", tt.name, hit, err, tt.wantHit)
		}
	}
}

// BenchmarkRender measures each tool's render of its golden case, cold and
// from the cache.
func BenchmarkRender(b *testing.B) {
	cases := []struct {
		name string
		req  func(b *testing.B, root string) Request
	}{
		{"directory", nil},
		{"jsonnet", nil},
		{"kustomize-overlay", nil},
		{"helm-guestbook", func(_ *testing.B, root string) Request {
			return Request{AppName: "guestbook", Namespace: "demo", Root: root, KubeVersion: "1.31.0",
				Source: v1alpha1.ApplicationSource{Helm: &v1alpha1.ApplicationSourceHelm{
					ValueFiles: []string{"values-prod.yaml"},
					Parameters: []v1alpha1.HelmParameter{{Name: "image.tag", Value: "0.2"}},
				}}}
		}},
	}
	for _, c := range cases {
		dir := filepath.Join("testdata", c.name)
		request := func(b *testing.B, root string) Request {
			if c.req != nil {
				return c.req(b, root)
			}
			return caseRequest(b, dir, root)
		}
		b.Run(c.name+"/cold", func(b *testing.B) {
			req := request(b, checkout(b, dir))
			for b.Loop() {
				if _, err := Render(b.Context(), req); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"/cached", func(b *testing.B) {
			req := request(b, checkout(b, dir))
			cache := NewCache(1)
			if _, _, err := cache.Render(b.Context(), req); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				if _, hit, err := cache.Render(b.Context(), req); err != nil || !hit {
					b.Fatalf("hit=%v err=%v", hit, err)
				}
			}
		})
	}
}
