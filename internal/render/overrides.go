package render

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"

	jsonpatch "github.com/evanphx/json-patch/v5"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// overrideFiles are the files in a source's directory whose settings are
// laid over the Application's source, as Argo CD's repo server does: the
// image updater's Git write-back writes the second.
func overrideFiles(app string) []string {
	return []string{".argocd-source.yaml", ".argocd-source-" + app + ".yaml"}
}

// withOverrides returns src with the override files of dir laid over it,
// and the files it read. Helm parameters and Kustomize images are merged by
// name, so a file naming only some keeps the others; the rest of a file is
// a JSON merge patch of the source's tool settings. Where the source comes
// from (repoURL, path, targetRevision, chart, ref) cannot be overridden.
func withOverrides(t *tree, dir string, req Request) (v1alpha1.ApplicationSource, []string, error) {
	src := req.Source
	if src.Chart != "" {
		return src, nil, nil
	}
	var read []string
	for _, name := range overrideFiles(req.AppName) {
		abs := filepath.Join(dir, name)
		data, err := t.readFile(abs)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err == nil {
			src, err = overrideSource(src, data)
		}
		if err != nil {
			return src, nil, fmt.Errorf("%s: %w", t.rel(abs), err)
		}
		read = append(read, abs)
	}
	return src, read, nil
}

// overrideSource lays one override file over src.
func overrideSource(src v1alpha1.ApplicationSource, data []byte) (v1alpha1.ApplicationSource, error) {
	patch, err := yaml.YAMLToJSON(data)
	if err != nil {
		return src, err
	}
	var over v1alpha1.ApplicationSource
	if err := json.Unmarshal(patch, &over); err != nil {
		return src, err
	}
	orig, err := json.Marshal(src)
	if err != nil {
		return src, err
	}
	merged, err := jsonpatch.MergePatch(orig, patch)
	if err != nil {
		return src, err
	}
	var out v1alpha1.ApplicationSource
	if err := json.Unmarshal(merged, &out); err != nil {
		return src, err
	}
	out.RepoURL, out.Path, out.TargetRevision, out.Chart, out.Ref, out.Name = src.RepoURL, src.Path, src.TargetRevision, src.Chart, src.Ref, src.Name
	if over.Helm != nil && src.Helm != nil {
		out.Helm.Parameters = mergeByKey(src.Helm.Parameters, over.Helm.Parameters, func(p v1alpha1.HelmParameter) string { return p.Name })
	}
	if over.Kustomize != nil && src.Kustomize != nil {
		out.Kustomize.Images = mergeByKey(src.Kustomize.Images, over.Kustomize.Images, func(i v1alpha1.KustomizeImage) string { return parseImage(string(i)).Name })
	}
	return out, nil
}

// mergeByKey replaces the entries of base that over has a key of, and adds
// the others.
func mergeByKey[T any](base, over []T, key func(T) string) []T {
	out := slices.Clone(base)
	for _, o := range over {
		if i := slices.IndexFunc(out, func(b T) bool { return key(b) == key(o) }); i >= 0 {
			out[i] = o
		} else {
			out = append(out, o)
		}
	}
	return out
}
