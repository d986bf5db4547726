package hostile

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Item 6 of the issue: every path is validated before anything is read or
// written under it.

// A source path that climbs out of the repository is refused, naming it.
func TestSourcePathLeavingTheRepository(t *testing.T) {
	refusal{
		name: "path-up",
		tree: tree{files: map[string]string{"app/cm.yaml": configMap("ok", "", nil)}},
		source: func(s *v1alpha1.ApplicationSource) {
			s.Path = "../.."
		},
		cause: []string{regexp.QuoteMeta("../.."), escapeCause},
	}.run(t)
}

// A Helm dependency whose name climbs out of the chart cache is refused
// before anything is fetched or written: no archive lands anywhere on the
// machine and the chart repository receives no request.
func TestHelmDependencyNameLeavingTheCache(t *testing.T) {
	const marker = "x-hostile-9c1e"
	name := "../../../" + marker
	repo := newTrap(t, map[string][]byte{"/chart.tgz": chartArchive(t, marker, "1.0.0")})
	repo.serve("/index.yaml", []byte(fmt.Sprintf("apiVersion: v1\nentries:\n  %q:\n  - {name: %q, version: 1.0.0, apiVersion: v2, urls: [%s/chart.tgz]}\n", name, name, repo.URL)))
	refusal{
		name: "dep-name",
		tree: tree{files: map[string]string{
			"app/Chart.yaml":        "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n- name: " + name + "\n  version: 1.0.0\n  repository: " + repo.URL + "\n",
			"app/templates/cm.yaml": configMap("ok", "", nil),
		}},
		cause: []string{regexp.QuoteMeta(name)},
	}.run(t)
	repo.untouched(t)
	_ = filepath.WalkDir(suite.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), marker) {
			t.Errorf("a dependency archive was written at %s", p)
		}
		return nil
	})
}

// chartArchive is a chart packaged as `helm package` would: a gzipped tar
// of name/Chart.yaml and a template.
func chartArchive(t *testing.T, name, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for path, data := range map[string]string{
		name + "/Chart.yaml":         "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n",
		name + "/templates/dep.yaml": configMap("dep", "", nil),
	} {
		if err := tw.WriteHeader(&tar.Header{Name: path, Mode: 0o644, Size: int64(len(data))}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
