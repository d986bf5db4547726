package layout

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"path"
	"slices"
	"strings"
	"testing"
)

type goPackage struct {
	ImportPath   string
	Name         string
	Doc          string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// modulePackages lists every package of the module with `go list`, the same
// view of the tree the compiler has.
func modulePackages(t *testing.T) []goPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-e", "-json", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []goPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p goPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("decode go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages in %s", len(pkgs), Module)
	}
	return pkgs
}

func rel(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, Module), "/")
}

func testOnly(rel string) bool {
	for _, p := range TestOnly {
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

func TestEveryPackageHasDocComment(t *testing.T) {
	for _, p := range modulePackages(t) {
		if p.Doc == "" {
			t.Errorf("package %s has no package doc comment", p.ImportPath)
		}
	}
}

func TestNoCatchAllPackages(t *testing.T) {
	for _, p := range modulePackages(t) {
		if slices.Contains(Forbidden, path.Base(p.ImportPath)) {
			t.Errorf("package %s: name a helper package for what it does", p.ImportPath)
		}
	}
}

func TestImportsPointDown(t *testing.T) {
	for _, p := range modulePackages(t) {
		from := rel(p.ImportPath)
		layer, ok := LayerOf(from)
		if !ok {
			t.Errorf("package %s is in no layer of DESIGN.md §2: place it and update LayerOf", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, Module+"/") {
				continue
			}
			to := rel(imp)
			if testOnly(to) && !testOnly(from) {
				t.Errorf("%s imports %s, which only tests may import", from, to)
			}
			target, ok := LayerOf(to)
			if !ok {
				continue // reported for the target itself
			}
			switch {
			case target > layer:
				t.Errorf("%s (layer %d) imports %s (layer %d): imports must point down", from, layer, to, target)
			case target == layer && !SameLayerImports(layer) && !strings.HasPrefix(to, from+"/") && !strings.HasPrefix(from, to+"/"):
				t.Errorf("%s imports %s of the same layer: they should meet in the API instead", from, to)
			}
		}
	}
}

func TestAPITypesImportApimachineryOnly(t *testing.T) {
	checked := 0
	for _, p := range modulePackages(t) {
		if layer, _ := LayerOf(rel(p.ImportPath)); layer != LayerAPI || !strings.HasPrefix(rel(p.ImportPath), "api") {
			continue
		}
		checked++
		for _, imp := range p.Imports {
			if !APIAllowed(imp) {
				t.Errorf("API package %s imports %s: API types may import apimachinery only", p.ImportPath, imp)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no API package found")
	}
}

func TestLayerOf(t *testing.T) {
	tests := []struct {
		rel  string
		want int
	}{
		{"api/v1alpha1", LayerAPI},
		{"internal/render", LayerStage},
		{"internal/controller/application", LayerController},
		{"internal/server", LayerController},
		{"internal/cli", LayerCLI},
		{"cmd/capstan", LayerCommand},
	}
	for _, tt := range tests {
		got, ok := LayerOf(tt.rel)
		if !ok || got != tt.want {
			t.Errorf("LayerOf(%q) = %d, %v; want %d", tt.rel, got, ok, tt.want)
		}
	}
	if _, ok := LayerOf("pkg/whatever"); ok {
		t.Error("LayerOf accepted a path outside the layout")
	}
}

func TestAPIAllowed(t *testing.T) {
	tests := []struct {
		path string
		want bool
	}{
		{"fmt", true},
		{"k8s.io/apimachinery/pkg/apis/meta/v1", true},
		{"k8s.io/client-go/rest", false},
		{"sigs.k8s.io/controller-runtime/pkg/scheme", false},
		{Module + "/internal/source", false},
	}
	for _, tt := range tests {
		if got := APIAllowed(tt.path); got != tt.want {
			t.Errorf("APIAllowed(%q) = %v, want %v", tt.path, got, tt.want)
		}
	}
}
