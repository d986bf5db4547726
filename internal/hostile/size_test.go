package hostile

import (
	"fmt"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Trees whose shape, rather than their content, is hostile: huge files,
// deep directories, many files, long names.

// A 50 MB manifest (one ConfigMap with a 50 MB value; the 200 MB
// scaled down to keep disk and time modest) fails with a message naming
// the size, and the controller, which held it, goes on.
func TestHugeFile(t *testing.T) {
	manifest := "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: huge\ndata:\n  x: " + strings.Repeat("x", 50<<20) + "\n"
	refusal{
		name:  "huge-file",
		tree:  tree{files: map[string]string{"app/huge.yaml": manifest}},
		cause: []string{"(?i)too large|too long|limit"},
	}.run(t)
}

// A manifest 2000 directories deep, in a recursive directory source, fails
// with a message naming the problem.
func TestDeepDirectories(t *testing.T) {
	path := "app/" + strings.Repeat("d/", 2000) + "cm.yaml"
	refusal{
		name: "deep-dirs",
		tree: tree{files: map[string]string{path: configMap("deep", "", nil)}},
		source: func(s *v1alpha1.ApplicationSource) {
			s.Directory = &v1alpha1.ApplicationSourceDirectory{Recurse: true}
		},
		cause: []string{"(?i)too long|deep|depth"},
	}.run(t)
}

// A repository of 30,000 tiny files beside a one-file Application (the
// issue's "millions" scaled down: checking out takes the controller's time
// and disk, not its memory) is checked out and synced, and the canary
// keeps syncing meanwhile.
func TestManyTinyFiles(t *testing.T) {
	a := newAttack(t, "tiny-files")
	a.project(nil)
	r := newRepo(t, suite.public, "repo")
	r.commit(t, tree{
		files: map[string]string{"app/cm.yaml": configMap("tiny", "", nil)},
		stream: func(add func(string, []byte)) {
			for i := range 30000 {
				add(fmt.Sprintf("junk/%03d/%d", i/100, i), []byte{byte(i)})
			}
		},
	})
	a.app("tiny-files", directory(r.url), nil)
	a.waitSynced("tiny-files")
	a.survived()
}
