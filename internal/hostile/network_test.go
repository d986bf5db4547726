package hostile

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Item 3 of the issue: Kustomize runs with no network. A kustomization
// naming a URL served on the machine (standing for a cloud metadata
// endpoint) is refused, naming the kustomization and the URL, and the
// server receives no request.

// httpTrap is an HTTP server on 127.0.0.1 serving files and recording
// every request it receives.
type httpTrap struct {
	*httptest.Server
	mu    sync.Mutex
	seen  []string
	files map[string][]byte
}

func newTrap(t *testing.T, files map[string][]byte) *httpTrap {
	t.Helper()
	h := &httpTrap{files: files}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.mu.Lock()
		h.seen = append(h.seen, r.Method+" "+r.URL.Path)
		data, ok := h.files[r.URL.Path]
		h.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
	}))
	t.Cleanup(h.Close)
	return h
}

// serve adds a file to those the trap serves.
func (h *httpTrap) serve(path string, data []byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.files[path] = data
}

// untouched fails the test if the trap received a request.
func (h *httpTrap) untouched(t *testing.T) {
	t.Helper()
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.seen) > 0 {
		t.Errorf("capstan reached the network: %v", h.seen)
	}
}

func TestKustomizeFetchesNoURL(t *testing.T) {
	const token = "metadata-credentials-7f3a"
	trap := newTrap(t, map[string][]byte{
		"/patch.yaml": []byte(configMap("base", "", map[string]string{"token": token})),
		"/token":      []byte(token),
		"/cm.yaml":    []byte(configMap("remote", "", map[string]string{"token": token})),
	})
	base := configMap("base", "", map[string]string{"a": "b"})
	for _, c := range []refusal{{
		name: "kust-patch",
		tree: tree{files: map[string]string{
			"app/cm.yaml":            base,
			"app/kustomization.yaml": "resources: [cm.yaml]\npatches:\n- path: " + trap.URL + "/patch.yaml\n",
		}},
		cause: []string{"kustomization.yaml", regexp.QuoteMeta(trap.URL + "/patch.yaml")},
	}, {
		name: "kust-generator",
		tree: tree{files: map[string]string{
			"app/kustomization.yaml": "configMapGenerator:\n- name: fetched\n  files:\n  - " + trap.URL + "/token\n",
		}},
		cause: []string{"kustomization.yaml", regexp.QuoteMeta(trap.URL + "/token")},
	}, {
		name: "kust-resource",
		tree: tree{files: map[string]string{
			"app/kustomization.yaml": "resources:\n- " + trap.URL + "/cm.yaml\n",
		}},
		cause: []string{"kustomization.yaml", regexp.QuoteMeta(trap.URL + "/cm.yaml")},
	}} {
		c.leak = token
		t.Run(c.name, c.run)
	}
	trap.untouched(t)
}

// A chart's dependency is fetched from the repository URL the chart
// declares only when the project's sourceRepos lists it, as a source's
// repository must be: otherwise the Application reports the dependency
// refused, and the repository sees no request.
func TestHelmDependencyRepositoryOutsideTheProject(t *testing.T) {
	a := newAttack(t, "dep-repo")
	r := newRepo(t, suite.public, "repo")
	a.project(func(p *v1alpha1.AppProjectSpec) { p.SourceRepos = []string{r.url} })
	trap := newTrap(t, map[string][]byte{"/dep-1.0.0.tgz": chartArchive(t, "dep", "1.0.0")})
	trap.serve("/index.yaml", []byte("apiVersion: v1\nentries:\n  dep:\n  - {name: dep, version: 1.0.0, apiVersion: v2, urls: ["+trap.URL+"/dep-1.0.0.tgz]}\n"))
	r.commit(t, tree{files: map[string]string{
		"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: dep\n  version: 1.0.0\n  repository: " + trap.URL + "\n",
		"app/templates/cm.yaml": configMap("app", "", nil),
	}})
	a.app("dep-repo", directory(r.url), nil)
	a.waitCause("dep-repo", "helm dependency dep", "not permitted")
	trap.untouched(t)
	a.survived()
}
