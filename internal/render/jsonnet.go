package render

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-jsonnet"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// evaluateJsonnet evaluates one .jsonnet file of a directory source with
// the source's external variables, top-level arguments and library paths
// (relative to the repository root). Variable values may name the build
// environment. The result is an object or an array of objects. It returns
// the objects and every file the evaluation read.
func evaluateJsonnet(root repoRoot, path string, opts *v1alpha1.ApplicationSourceJsonnet, env map[string]string) ([]*unstructured.Unstructured, []string, error) {
	name := root.rel(path)
	vm := jsonnet.MakeVM()
	imp := &recordingImporter{root: root}
	if opts != nil {
		for _, v := range opts.ExtVars {
			if v.Code {
				vm.ExtCode(v.Name, envsubst(v.Value, env))
			} else {
				vm.ExtVar(v.Name, envsubst(v.Value, env))
			}
		}
		for _, v := range opts.TLAs {
			if v.Code {
				vm.TLACode(v.Name, envsubst(v.Value, env))
			} else {
				vm.TLAVar(v.Name, envsubst(v.Value, env))
			}
		}
		for _, lib := range opts.Libs {
			dir := filepath.Join(root.path, filepath.FromSlash(lib))
			if !inside(root.path, dir) {
				return nil, nil, fmt.Errorf("%s: jsonnet library path %s %w", name, lib, errEscapes)
			}
			imp.files.JPaths = append(imp.files.JPaths, dir)
		}
	}
	vm.Importer(imp)
	out, err := vm.EvaluateFile(path)
	if err != nil {
		// Messages name files by absolute path; the repository's own names
		// are what the user knows.
		msg := strings.ReplaceAll(err.Error(), root.path+string(filepath.Separator), "")
		return nil, nil, fmt.Errorf("%s: jsonnet: %s", name, strings.TrimSpace(msg))
	}
	objs, err := jsonnetObjects([]byte(out))
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	return objs, imp.read, nil
}

// jsonnetObjects turns a Jsonnet result into objects: one object (a List
// is flattened) or an array of them.
func jsonnetObjects(out []byte) ([]*unstructured.Unstructured, error) {
	var v any
	if err := utiljson.Unmarshal(out, &v); err != nil {
		return nil, fmt.Errorf("jsonnet output: %w", err)
	}
	items, isArray := v.([]any)
	if !isArray {
		items = []any{v}
	}
	var objs []*unstructured.Unstructured
	for i, item := range items {
		if item == nil {
			continue
		}
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("jsonnet output item %d: not an object", i)
		}
		got, err := objectsOf(m)
		if err != nil {
			return nil, fmt.Errorf("jsonnet output item %d: %w", i, err)
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

// recordingImporter reads Jsonnet imports from the repository only and
// remembers which files were read.
type recordingImporter struct {
	root  repoRoot
	files jsonnet.FileImporter
	read  []string
	seen  map[string]bool
}

func (i *recordingImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	contents, foundAt, err := i.files.Import(importedFrom, importedPath)
	if err != nil {
		return contents, foundAt, err
	}
	abs, err := filepath.Abs(foundAt)
	if err != nil {
		return jsonnet.Contents{}, "", err
	}
	if _, err := i.root.resolve(abs); err != nil {
		return jsonnet.Contents{}, "", fmt.Errorf("import %q: %w", importedPath, err)
	}
	if !i.seen[abs] {
		if i.seen == nil {
			i.seen = make(map[string]bool)
		}
		i.seen[abs] = true
		i.read = append(i.read, abs)
	}
	return contents, foundAt, nil
}
