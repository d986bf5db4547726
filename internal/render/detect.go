package render

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// kustomizationFiles are the names kustomize reads a kustomization from,
// in the order it tries them.
var kustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// detectType chooses the tool for a source. A tool block in the source
// wins; a chart from a Helm repository or registry is Helm; otherwise a
// Chart.yaml at the path means Helm, a kustomization file Kustomize, and
// anything else a plain directory. has tells whether the path holds a file
// of the given name.
func detectType(src v1alpha1.ApplicationSource, has func(name string) bool) (v1alpha1.ApplicationSourceType, error) {
	var explicit []v1alpha1.ApplicationSourceType
	if src.Helm != nil {
		explicit = append(explicit, v1alpha1.ApplicationSourceTypeHelm)
	}
	if src.Kustomize != nil {
		explicit = append(explicit, v1alpha1.ApplicationSourceTypeKustomize)
	}
	if src.Directory != nil {
		explicit = append(explicit, v1alpha1.ApplicationSourceTypeDirectory)
	}
	if src.Plugin != nil {
		explicit = append(explicit, v1alpha1.ApplicationSourceTypePlugin)
	}
	switch {
	case len(explicit) > 1:
		names := make([]string, len(explicit))
		for i, t := range explicit {
			names[i] = strings.ToLower(string(t))
		}
		return "", fmt.Errorf("source configures more than one tool: %s", strings.Join(names, ", "))
	case src.Plugin != nil:
		if src.Plugin.Name == "" {
			return "", errors.New("config management plugins are not supported (the source asks for plugin discovery)")
		}
		return "", fmt.Errorf("config management plugins are not supported (the source asks for plugin %q)", src.Plugin.Name)
	case src.Chart != "":
		return v1alpha1.ApplicationSourceTypeHelm, nil
	case len(explicit) == 1:
		return explicit[0], nil
	case has("Chart.yaml"):
		return v1alpha1.ApplicationSourceTypeHelm, nil
	}
	for _, name := range kustomizationFiles {
		if has(name) {
			return v1alpha1.ApplicationSourceTypeKustomize, nil
		}
	}
	return v1alpha1.ApplicationSourceTypeDirectory, nil
}

// fileExists reports whether dir holds a regular file of a given name.
func fileExists(t *tree, dir string) func(name string) bool {
	return func(name string) bool {
		fi, err := t.stat(filepath.Join(dir, name))
		return err == nil && fi.Mode().IsRegular()
	}
}
