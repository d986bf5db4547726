package render

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/openapi"
)

// schemaLock guards kustomize's process-wide OpenAPI schema. Builds with
// the built-in schema share it; a kustomization that brings its own schema
// (the openapi field) builds alone and puts the built-in one back after.
var schemaLock sync.RWMutex

// renderKustomize builds the kustomization at dir in process, as
// `kustomize build` would with plugins and Helm disabled and loading
// restricted to the repository. The source's kustomize options are
// applied to an in-memory copy of the kustomization; the tree on disk is
// never written.
func renderKustomize(ctx context.Context, req Request, root *tree, dir string) ([]*unstructured.Unstructured, []string, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	rel := root.rel(dir)
	fsys := newKustomizeFS(root)
	kfile, data, err := readKustomization(root, dir)
	if err != nil {
		return nil, nil, fmt.Errorf("kustomize build %s: %w", rel, err)
	}
	var k types.Kustomization
	customSchema := k.Unmarshal(data) == nil && len(k.OpenAPI) > 0
	if opts := req.Source.Kustomize; opts != nil {
		edited, err := kustomizeEdit{opts: opts, env: buildEnv(req), exists: existsUnder(root, dir)}.apply(data)
		if err != nil {
			return nil, nil, fmt.Errorf("kustomize build %s: %s: %w", rel, filepath.Base(kfile), err)
		}
		real, err := root.realName(kfile)
		if err != nil {
			return nil, nil, fmt.Errorf("kustomize build %s: %w", rel, err)
		}
		fsys.overlay[real] = edited
	}

	opts := krusty.MakeDefaultOptions()
	opts.Reorder = krusty.ReorderOptionUnspecified
	opts.PluginConfig = types.DisabledPluginConfig()
	opts.LoadRestrictions = types.LoadRestrictionsRootOnly
	req.Kustomize.apply(opts)
	if customSchema {
		schemaLock.Lock()
		defer func() {
			openapi.ResetOpenAPI()
			schemaLock.Unlock()
		}()
	} else {
		schemaLock.RLock()
		defer schemaLock.RUnlock()
	}
	m, err := krusty.MakeKustomizer(opts).Run(fsys, dir)
	if err != nil {
		msg := strings.ReplaceAll(err.Error(), root.path+string(filepath.Separator), "")
		if fsys.refused != nil {
			msg = fsys.refused.Error() + " (kustomize: " + msg + ")"
			err = errors.Join(fsys.refused, err)
		}
		return nil, nil, &kustomizeError{path: rel, msg: msg, err: err}
	}
	out, err := m.AsYaml()
	if err != nil {
		return nil, nil, fmt.Errorf("kustomize build %s: %w", rel, err)
	}
	objs, err := decode(rel+" (kustomize output)", out)
	if err != nil {
		return nil, nil, err
	}
	return objs, fsys.read, nil
}

// kustomizeError is a failed kustomize build, with kustomize's message
// naming files relative to the repository.
type kustomizeError struct {
	path, msg string
	err       error
}

func (e *kustomizeError) Error() string { return "kustomize build " + e.path + ": " + e.msg }
func (e *kustomizeError) Unwrap() error { return e.err }

// readKustomization reads the kustomization file kustomize would read in
// dir, refusing one that links out of the repository.
func readKustomization(root *tree, dir string) (string, []byte, error) {
	for _, name := range kustomizationFiles {
		path := filepath.Join(dir, name)
		data, err := root.readFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", name, err)
		}
		return path, data, nil
	}
	return "", nil, fmt.Errorf("no %s found", strings.Join(kustomizationFiles, ", "))
}

// existsUnder tells whether a path relative to dir exists.
func existsUnder(root *tree, dir string) func(rel string) bool {
	return func(rel string) bool {
		_, err := root.stat(filepath.Join(dir, filepath.FromSlash(rel)))
		return err == nil
	}
}
