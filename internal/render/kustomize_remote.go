package render

import (
	"bytes"
	"fmt"
	"net/url"
	"strings"

	"sigs.k8s.io/yaml"
)

// refuseRemote fails on a file kustomize reads that would make it reach
// the network or run a program: a kustomization (or a configuration of
// one of kustomize's built-in generators and transformers, which name
// files the same way) that refers to an http(s) URL, a Git repository, or
// inflates Helm charts. kustomize would fetch those itself, with no
// timeout and outside capstan's control of credentials and caching: the
// build is refused before it starts, naming the file and the URL.
// isKustomization is set for a file kustomize reads as a kustomization;
// any other file is checked only for documents of built-in plugin kinds.
func refuseRemote(name string, data []byte, isKustomization bool) error {
	if !isKustomization && !bytes.Contains(data, []byte("://")) {
		// Every URL kustomize fetches has a scheme; a Git reference
		// without one is only read from a kustomization.
		return nil
	}
	for _, doc := range splitDocuments(data) {
		var v map[string]any
		if yaml.Unmarshal(doc.text, &v) != nil || v == nil {
			// kustomize reports a malformed file itself.
			continue
		}
		kind, _ := v["kind"].(string)
		if !isKustomization && !builtinPluginKinds[kind] {
			continue
		}
		if err := refuseRemoteIn(name, v); err != nil {
			return err
		}
	}
	return nil
}

// builtinPluginKinds are the kinds of kustomize's built-in generators and
// transformers, whose configurations may name files to load.
var builtinPluginKinds = map[string]bool{
	"Kustomization": true, "Component": true,
	"ConfigMapGenerator": true, "SecretGenerator": true, "HelmChartInflationGenerator": true,
	"PatchTransformer": true, "PatchJson6902Transformer": true, "PatchStrategicMergeTransformer": true,
	"ReplacementTransformer": true, "ValueAddTransformer": true,
}

// refuseRemoteIn walks one parsed document.
func refuseRemoteIn(name string, doc map[string]any) error {
	if doc["helmCharts"] != nil || doc["helmChartInflationGenerator"] != nil || doc["kind"] == "HelmChartInflationGenerator" {
		return fmt.Errorf("%s: helmCharts are not supported: kustomize would run the helm program%s; render the chart with a Helm source", name, chartRepos(doc))
	}
	var found string
	walkRemote(doc, "", &found)
	if found != "" {
		return fmt.Errorf("%s: remote reference %q is not supported: render fetches nothing itself; vendor it into the repository", name, found)
	}
	return nil
}

// chartRepos names the repositories of a kustomization's helmCharts, for
// the message that refuses them.
func chartRepos(doc map[string]any) string {
	var repos []string
	charts, _ := doc["helmCharts"].([]any)
	for _, c := range append(charts, doc) {
		if m, ok := c.(map[string]any); ok {
			if repo, ok := m["repo"].(string); ok && repo != "" {
				repos = append(repos, repo)
			}
		}
	}
	if len(repos) == 0 {
		return ""
	}
	return " and fetch " + strings.Join(repos, ", ")
}

// Keys under which kustomize reads a file (fileKeys), a file or a
// directory that may be a Git repository (dirKeys), or an inline
// generator or transformer configuration (inlineKeys); freeKeys hold text
// kustomize never loads.
var (
	fileKeys = map[string]bool{
		"path": true, "files": true, "envs": true, "env": true, "patchesStrategicMerge": true,
		"targetFilePath": true, "valuesFile": true, "additionalValuesFiles": true, "argsFromFile": true,
	}
	dirKeys    = map[string]bool{"resources": true, "bases": true, "components": true, "crds": true, "configurations": true, "generators": true, "transformers": true, "validators": true}
	inlineKeys = map[string]bool{"generators": true, "transformers": true, "validators": true}
	freeKeys   = map[string]bool{"commonAnnotations": true, "commonLabels": true, "pairs": true, "literals": true, "metadata": true, "images": true, "replicas": true}
)

// walkRemote records in found the first remote reference under v, the
// value of key.
func walkRemote(v any, key string, found *string) {
	if *found != "" || freeKeys[key] {
		return
	}
	switch v := v.(type) {
	case map[string]any:
		for k, item := range v {
			walkRemote(item, k, found)
		}
	case []any:
		for _, item := range v {
			walkRemote(item, key, found)
		}
	case string:
		if isRemoteValue(key, v) {
			*found = v
			return
		}
		if inlineKeys[key] && strings.Contains(v, "\n") {
			var doc map[string]any
			if yaml.Unmarshal([]byte(v), &doc) == nil {
				walkRemote(doc, "", found)
			}
		}
	}
}

// isRemoteValue tells whether s, the value of key, names something
// kustomize would fetch.
func isRemoteValue(key, s string) bool {
	if strings.Contains(s, "\n") && (inlineKeys[key] || key == "patchesStrategicMerge") {
		return false // an inline patch or configuration, walked on its own
	}
	switch {
	case dirKeys[key]:
		return isRemoteRef(s)
	case fileKeys[key]:
		if key == "files" {
			// key=path
			if _, file, ok := strings.Cut(s, "="); ok {
				s = file
			}
		}
		return isURL(s)
	}
	return false
}

// isURL tells a URL with a scheme, as kustomize tells a remote file,
// from a path.
func isURL(s string) bool {
	if strings.Contains(s, "://") {
		return true
	}
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https")
}

// isRemoteRef tells the references kustomize would fetch over the network
// from paths in the repository.
func isRemoteRef(ref string) bool {
	if isURL(ref) {
		return true
	}
	for _, p := range []string{"git@", "github.com/", "gitlab.com/", "bitbucket.org/", "ssh:", "git::"} {
		if strings.HasPrefix(ref, p) {
			return true
		}
	}
	for _, s := range []string{"?ref=", "?version=", "?submodules=", "?timeout=", "_git/", ".git/", ".git?"} {
		if strings.Contains(ref, s) {
			return true
		}
	}
	return strings.HasSuffix(ref, ".git")
}
