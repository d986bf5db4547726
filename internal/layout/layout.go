// Package layout states the structure of capstan's module as data, the
// layers of DESIGN.md §2, and its tests hold every package to it: each
// package has a doc comment, imports point down the layers only, and API
// types depend on apimachinery alone.
package layout

import "strings"

// Module is capstan's module path.
const Module = "github.com/capstan-cd/capstan"

// Layer numbers: a package may import capstan packages of a lower layer, and
// of its own layer only where SameLayerImports allows it.
const (
	LayerAPI        = 0 // api/...: the CRD types
	LayerStage      = 1 // internal/<stage> and small leaf packages
	LayerController = 2 // internal/controller/..., internal/server, internal/ui
	LayerCLI        = 3 // internal/cli: wires controllers and server to commands
	LayerCommand    = 4 // cmd/...
)

// LayerOf returns the layer of a package of the module, by its path
// relative to the module root, and false for a path no layer claims.
func LayerOf(rel string) (int, bool) {
	switch {
	case rel == "api" || strings.HasPrefix(rel, "api/"):
		return LayerAPI, true
	case rel == "cmd" || strings.HasPrefix(rel, "cmd/"):
		return LayerCommand, true
	case rel == "internal/cli" || strings.HasPrefix(rel, "internal/cli/"):
		return LayerCLI, true
	case strings.HasPrefix(rel, "internal/controller/"), rel == "internal/server" || strings.HasPrefix(rel, "internal/server/"), rel == "internal/ui":
		return LayerController, true
	case strings.HasPrefix(rel, "internal/"):
		return LayerStage, true
	}
	return 0, false
}

// SameLayerImports reports whether packages of a layer may import each other.
// Stages may use one another's values (sync uses apply and health); the
// controllers and the server meet only in the API, never in each other.
func SameLayerImports(layer int) bool { return layer == LayerStage }

// TestOnly lists packages (with their subpackages) that only tests and
// benchmarks may import.
var TestOnly = []string{"internal/testenv"}

// Forbidden package names: a helper belongs with its domain or in a leaf
// package named for what it does.
var Forbidden = []string{"util", "utils", "common", "helpers", "misc"}

// APIAllowed reports whether the API types may import path: the standard
// library and apimachinery only, so that the types stay data.
func APIAllowed(path string) bool {
	if !strings.Contains(strings.SplitN(path, "/", 2)[0], ".") {
		return true // standard library
	}
	return strings.HasPrefix(path, "k8s.io/apimachinery/") || strings.HasPrefix(path, Module+"/api/")
}
