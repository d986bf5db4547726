package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
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
func evaluateJsonnet(root *tree, path string, opts *v1alpha1.ApplicationSourceJsonnet, env map[string]string) ([]*unstructured.Unstructured, []string, error) {
	name := root.rel(path)
	vm := jsonnet.MakeVM()
	imp := &treeImporter{root: root}
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
			if !localName(lib) {
				return nil, nil, fmt.Errorf("%s: jsonnet library path %s %w", name, lib, errEscapes)
			}
			imp.libs = append(imp.libs, dir)
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

// treeImporter reads Jsonnet imports through the repository's tree only,
// so an import is refused before any byte of it is read when it leads out
// of the repository, lexically or through a link. It remembers which files
// were read.
type treeImporter struct {
	root *tree
	// libs are the library directories, searched last to first after the
	// importing file's own directory, as Jsonnet searches them.
	libs []string
	// cache keeps what each path held: Jsonnet requires one path to give
	// the same contents every time.
	cache map[string]*jsonnet.Contents
	read  []string
}

func (i *treeImporter) Import(importedFrom, importedPath string) (jsonnet.Contents, string, error) {
	dirs := append([]string{filepath.Dir(importedFrom)}, i.libs...)
	slices.Reverse(dirs[1:])
	for _, dir := range dirs {
		path := importedPath
		if !filepath.IsAbs(path) {
			path = filepath.Join(dir, path)
		}
		contents, found, err := i.load(path)
		if err != nil {
			return jsonnet.Contents{}, "", fmt.Errorf("import %q: %w", importedPath, err)
		}
		if found {
			return *contents, path, nil
		}
	}
	return jsonnet.Contents{}, "", fmt.Errorf("couldn't open import %q: no match locally or in the Jsonnet library paths", importedPath)
}

// load reads path once, telling whether it exists.
func (i *treeImporter) load(path string) (*jsonnet.Contents, bool, error) {
	if c, ok := i.cache[path]; ok {
		return c, c != nil, nil
	}
	if i.cache == nil {
		i.cache = make(map[string]*jsonnet.Contents)
	}
	data, err := i.root.readFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		i.cache[path] = nil
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	c := jsonnet.MakeContentsRaw(data)
	i.cache[path] = &c
	i.read = append(i.read, path)
	return &c, true, nil
}
