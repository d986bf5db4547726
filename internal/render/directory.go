package render

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// renderDirectory reads the manifests of a plain directory: YAML and JSON
// files as written, Jsonnet files evaluated. Subdirectories are read only
// with recurse; files and directories whose names start with a dot never.
func renderDirectory(ctx context.Context, req Request, root *tree, dir string) ([]*unstructured.Unstructured, []string, error) {
	opts := req.Source.Directory
	if opts == nil {
		opts = &v1alpha1.ApplicationSourceDirectory{}
	}
	filter, err := newFileFilter(opts.Include, opts.Exclude)
	if err != nil {
		return nil, nil, err
	}
	files, err := manifestFiles(root, dir, opts.Recurse, filter)
	if err != nil {
		return nil, nil, err
	}
	env := buildEnv(req)
	var objs []*unstructured.Unstructured
	var inputs []string
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		var got []*unstructured.Unstructured
		var read []string
		if strings.HasSuffix(f, ".jsonnet") {
			got, read, err = evaluateJsonnet(root, f, opts.Jsonnet, env)
		} else {
			got, err = decodeFile(root, f)
			read = []string{f}
		}
		if err != nil {
			return nil, nil, err
		}
		objs = append(objs, got...)
		inputs = append(inputs, read...)
	}
	return objs, inputs, nil
}

// manifestExtensions are the files a directory source reads.
var manifestExtensions = []string{".yaml", ".yml", ".json", ".jsonnet"}

// manifestFiles lists, in lexical order, the files of dir a directory
// source reads. A link to a file is read where it leads inside the
// repository; a link to a directory is not followed.
func manifestFiles(root *tree, dir string, recurse bool, filter fileFilter) ([]string, error) {
	top, err := root.name(dir)
	if err != nil {
		return nil, err
	}
	var files []string
	err = fs.WalkDir(root.root.FS(), filepath.ToSlash(top), func(name string, d fs.DirEntry, err error) error {
		path := root.abs(filepath.FromSlash(name))
		if err != nil {
			return fmt.Errorf("%s: %w", root.rel(path), escaped(err))
		}
		if path == dir {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			if !recurse {
				return filepath.SkipDir
			}
			return nil
		}
		if !hasManifestExtension(d.Name()) {
			return nil
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if !filter.match(filepath.ToSlash(rel)) {
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			fi, err := root.stat(path)
			if err != nil {
				return fmt.Errorf("%s: %w", root.rel(path), err)
			}
			if !fi.Mode().IsRegular() {
				// A link to a directory or to something that is not a file
				// is not a manifest.
				return nil
			}
		}
		files = append(files, path)
		return nil
	})
	return files, err
}

func hasManifestExtension(name string) bool {
	for _, ext := range manifestExtensions {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// decodeFile reads and decodes one YAML or JSON manifest file.
func decodeFile(root *tree, path string) ([]*unstructured.Unstructured, error) {
	data, err := root.readFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", root.rel(path), err)
	}
	return decode(root.rel(path), data)
}
