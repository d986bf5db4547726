package install

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/strvals"
)

// readInstallDoc returns docs/install.md.
func readInstallDoc(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root, "docs", "install.md"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var (
	hclBlock   = regexp.MustCompile("(?s)```hcl\n(.*?)```")
	hclSetting = regexp.MustCompile(`name\s*=\s*("(?:[^"\\]|\\.)*")\s*\n\s*value\s*=\s*("(?:[^"\\]|\\.)*")`)
	hclAttr    = regexp.MustCompile(`(?m)^\s*(name|chart|namespace)\s*=\s*("(?:[^"\\]|\\.)*")\s*$`)
)

// helmRelease is what the docs' helm_release block says.
type helmRelease struct {
	name, chart, namespace string
	// set are the `set` blocks as `--set` arguments.
	set []string
}

func parseHelmRelease(t *testing.T, doc string) helmRelease {
	t.Helper()
	blocks := hclBlock.FindAllStringSubmatch(doc, -1)
	if len(blocks) != 1 || !strings.Contains(blocks[0][1], `resource "helm_release"`) {
		t.Fatalf("docs/install.md: want one hcl block with a helm_release, found %d blocks", len(blocks))
	}
	body := blocks[0][1]
	unquote := func(s string) string {
		u, err := strconv.Unquote(s)
		if err != nil {
			t.Fatalf("docs/install.md: HCL string %s: %v", s, err)
		}
		return u
	}
	var r helmRelease
	for _, m := range hclSetting.FindAllStringSubmatch(body, -1) {
		r.set = append(r.set, unquote(m[1])+"="+unquote(m[2]))
	}
	// The settings' own names are indented deeper than the release's.
	outside := hclSetting.ReplaceAllString(body, "")
	for _, m := range hclAttr.FindAllStringSubmatch(outside, -1) {
		v := unquote(m[2])
		switch m[1] {
		case "name":
			r.name = v
		case "chart":
			r.chart = v
		case "namespace":
			r.namespace = v
		}
	}
	if r.name == "" || r.namespace == "" || !strings.HasSuffix(r.chart, ChartDir) || len(r.set) == 0 {
		t.Fatalf("docs/install.md: helm_release not understood: %+v", r)
	}
	return r
}

// TestTerraformReleaseRenders renders the chart with exactly the values of
// the helm_release block in docs/install.md and checks they took effect.
func TestTerraformReleaseRenders(t *testing.T) {
	r := parseHelmRelease(t, readInstallDoc(t))
	values := map[string]any{}
	for _, s := range r.set {
		if err := strvals.ParseInto(s, values); err != nil {
			t.Fatalf("set %s: %v", s, err)
		}
	}
	out, err := Render(loadChart(t), Options{ReleaseName: r.name, Namespace: r.namespace, Values: values})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"replicas: 2", `timeout.reconciliation: "60s"`, "namespace: " + r.namespace} {
		if !strings.Contains(out, want) {
			t.Errorf("the rendered release has no %q", want)
		}
	}
}

// docKey is a values key named in docs/install.md: in the table of shared
// keys, in capstan's own keys, or set by the helm_release block.
var docKey = regexp.MustCompile("`((?:crds|global|controller|server|configs|createClusterRoles|nameOverride|fullnameOverride|namespaceOverride)(?:\\.[A-Za-z][\\w-]*)*)(?:\\.\\*)?`")

// TestInstallDocKeysInSchema fails when docs/install.md names a values key
// that values.schema.json does not describe, except in the paragraph on the
// argo-cd keys capstan does not read.
func TestInstallDocKeysInSchema(t *testing.T) {
	doc := readInstallDoc(t)
	schema := readSchema(t)
	var keys []string
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "Keys of the argo-cd chart that capstan does not read") {
			break
		}
		for _, m := range docKey.FindAllStringSubmatch(line, -1) {
			keys = append(keys, m[1])
		}
	}
	for _, s := range parseHelmRelease(t, doc).set {
		name, _, _ := strings.Cut(s, "=")
		keys = append(keys, name)
	}
	if len(keys) < 50 {
		t.Fatalf("found only %d keys in docs/install.md", len(keys))
	}
	for _, k := range keys {
		if !schemaHas(schema, splitKey(k)) {
			t.Errorf("docs/install.md names %s, which values.schema.json does not describe", k)
		}
	}
}

type jsonSchema struct {
	Properties           map[string]*jsonSchema `json:"properties"`
	AdditionalProperties json.RawMessage        `json:"additionalProperties"`
}

func readSchema(t *testing.T) *jsonSchema {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(env.Root, ChartDir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s jsonSchema
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("values.schema.json: %v", err)
	}
	return &s
}

// schemaHas reports whether the schema describes the key path: each part a
// property, or anything under an object open to any key (configs.cm).
func schemaHas(s *jsonSchema, path []string) bool {
	for i, p := range path {
		if next, ok := s.Properties[p]; ok {
			s = next
			continue
		}
		// An open object takes any key, and a dotted key (policy.csv) may
		// span several parts.
		if len(s.AdditionalProperties) > 0 && string(s.AdditionalProperties) != "false" {
			return true
		}
		for j := i + 2; j <= len(path); j++ {
			if next, ok := s.Properties[strings.Join(path[i:j], ".")]; ok {
				return schemaHas(next, path[j:])
			}
		}
		return false
	}
	return true
}

// splitKey splits a --set key at its unescaped dots.
func splitKey(k string) []string {
	var parts []string
	var cur strings.Builder
	for i := 0; i < len(k); i++ {
		switch {
		case k[i] == '\\' && i+1 < len(k) && k[i+1] == '.':
			cur.WriteByte('.')
			i++
		case k[i] == '.':
			parts = append(parts, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(k[i])
		}
	}
	return append(parts, cur.String())
}
