package hostile

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Item 2 of the issue: no byte from outside the checked-out tree is read
// by any renderer, whatever chain of symbolic links leads there.

// hostFiles plants files on the machine capstan runs on, outside any
// repository, holding a fresh random token, and returns their directory
// and the token. leak.yaml is a ConfigMap holding it, token is the bare
// token, values.yaml Helm values holding it.
func hostFiles(t *testing.T) (dir, token string) {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	token = "host-secret-" + hex.EncodeToString(b)
	dir, err := os.MkdirTemp(suite.dir, "host-")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"leak.yaml":   configMap("leaked", "", map[string]string{"token": token}),
		"token":       token,
		"values.yaml": "token: " + token + "\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir, token
}

// chainDepth is deeper than the directory capstan checks trees out in.
const chainDepth = 40

// escape returns symbolic links that lead from the link at path to the
// absolute host path target while each of them, taken alone and lexically,
// stays in the repository: the first, "c/x/.../up", points back to the
// root; the one at path climbs through it, and its "..", which lexically
// only cancel "c/x/.../up", climb above the root on disk.
func escape(path, target string) map[string]string {
	chain := "c" + strings.Repeat("/x", chainDepth-1)
	up := chain + "/up"
	toRoot := strings.Repeat("../", strings.Count(path, "/"))
	return map[string]string{
		up:   strings.TrimSuffix(strings.Repeat("../", chainDepth), "/"),
		path: toRoot + up + "/" + strings.Repeat("../", chainDepth+1) + strings.TrimPrefix(target, "/"),
	}
}

func merge(maps ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// escapeCause is what a message about a path leaving the tree says.
const escapeCause = `(?i)outside|leaves|escape`

const leakChart = "apiVersion: v2\nname: leak\nversion: 1.0.0\n"

// Every renderer is given a chain of links, each inside the repository on
// its own, that ends at a host file holding a token: the Application is
// refused with a message naming the link, and the token is nowhere in the
// cluster.
func TestSymlinkChainsLeavingTheTree(t *testing.T) {
	host, token := hostFiles(t)
	for _, c := range []refusal{{
		name: "link-dir",
		tree: tree{
			files: map[string]string{"app/ok.yaml": configMap("ok", "", nil)},
			links: escape("app/leak.yaml", filepath.Join(host, "leak.yaml")),
		},
		cause: []string{"leak.yaml", escapeCause},
	}, {
		// .Files.Get of a file in a directory reached through a link to
		// another directory of the repository, where the file is the
		// chain: Helm's loader follows linked directories.
		name: "link-helm-files",
		tree: tree{
			files: map[string]string{
				"app/Chart.yaml":               leakChart,
				"app/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  token: {{ .Files.Get \"files/token\" | quote }}\n",
			},
			links: merge(map[string]string{"app/files": "../data"}, escape("data/token", filepath.Join(host, "token"))),
		},
		cause: []string{"token", escapeCause},
	}, {
		name: "link-helm-values",
		tree: tree{
			files: map[string]string{
				"app/Chart.yaml":               leakChart,
				"app/templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leaked\ndata:\n  token: {{ .Values.token | quote }}\n",
			},
			links: escape("app/host-values.yaml", filepath.Join(host, "values.yaml")),
		},
		source: func(s *v1alpha1.ApplicationSource) {
			s.Helm = &v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"host-values.yaml"}}
		},
		cause: []string{"host-values.yaml", escapeCause},
	}, {
		name: "link-jsonnet",
		tree: tree{
			files: map[string]string{
				"app/main.jsonnet": `{apiVersion: "v1", kind: "ConfigMap", metadata: {name: "leaked"}, data: {token: importstr "../lib/token"}}`,
			},
			links: escape("lib/token", filepath.Join(host, "token")),
		},
		cause: []string{"token", escapeCause},
	}, {
		name: "link-kustomize",
		tree: tree{
			files: map[string]string{"app/kustomization.yaml": "resources:\n- leak.yaml\n"},
			links: escape("app/leak.yaml", filepath.Join(host, "leak.yaml")),
		},
		cause: []string{"leak.yaml", escapeCause},
	}} {
		c.leak = token
		t.Run(c.name, c.run)
	}
}
