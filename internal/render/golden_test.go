package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// updateGolden names the environment variable that rewrites want.yaml
// files from what the code renders now; review the diff before committing.
const updateGolden = "CAPSTAN_UPDATE_GOLDEN"

// goldenCase is a case's app.yaml: the parts of a render request that the
// case sets. The repository is the case's repo/ directory.
type goldenCase struct {
	AppName   string                     `json:"appName"`
	Namespace string                     `json:"namespace"`
	Revision  string                     `json:"revision,omitempty"`
	Source    v1alpha1.ApplicationSource `json:"source"`
}

// TestRenderGolden renders every testdata/<case>/app.yaml against
// testdata/<case>/repo and compares with testdata/<case>/want.yaml.
func TestRenderGolden(t *testing.T) {
	apps, err := filepath.Glob("testdata/*/app.yaml")
	if err != nil || len(apps) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	for _, app := range apps {
		dir := filepath.Dir(app)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			c := readGoldenCase(t, app)
			root, err := filepath.Abs(filepath.Join(dir, "repo"))
			if err != nil {
				t.Fatal(err)
			}
			before := treeDigest(t, root)
			res, err := Render(t.Context(), Request{
				AppName:   c.AppName,
				Namespace: c.Namespace,
				Revision:  c.Revision,
				Source:    c.Source,
				Root:      root,
			})
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			compareGolden(t, filepath.Join(dir, "want.yaml"), formatResult(t, root, res))
			if after := treeDigest(t, root); after != before {
				t.Errorf("Render changed the repository's files")
			}
		})
	}
}

func readGoldenCase(t *testing.T, path string) goldenCase {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c goldenCase
	if err := yaml.UnmarshalStrict(data, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

// relInput is the input in of a render relative to base, slash-separated,
// a listed directory ending in a slash.
func relInput(t *testing.T, base, in string) string {
	t.Helper()
	rel, err := filepath.Rel(base, in)
	if err != nil || !filepath.IsLocal(rel) {
		t.Errorf("input %s is outside %s", in, base)
	}
	rel = filepath.ToSlash(rel)
	if strings.HasSuffix(in, string(filepath.Separator)) {
		rel += "/"
	}
	return rel
}

// formatResult writes a result the way a reviewer reads it: the tool and
// the files read as comments, then the objects as YAML documents.
func formatResult(t *testing.T, root string, res *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	b.WriteString("# type: " + string(res.Type) + "\n# inputs:\n")
	for _, in := range res.Inputs {
		b.WriteString("#   " + relInput(t, root, in) + "\n")
	}
	for _, o := range res.Objects {
		out, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(out)
	}
	return b.Bytes()
}

// compareGolden compares got with the golden file, or rewrites the file
// when the update variable is set.
func compareGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if os.Getenv(updateGolden) != "" {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with %s=1 to create it)", err, updateGolden)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got), run with %s=1 to update:\n%s", path, updateGolden, diff)
	}
}

// treeDigest digests the names and contents of every file under root.
func treeDigest(t *testing.T, root string) string {
	t.Helper()
	h := sha256.New()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h.Write([]byte(path + "\x00"))
		h.Write(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}
