// Package install renders capstan's Helm chart (charts/capstan) with the
// Helm SDK, in process: the plain manifests under config/ are generated from
// it, and a packaged chart gets its version from the release. Its tests
// lint the chart, render it as docs/install.md shows, and install it into a
// real control plane under which capstan then runs.
package install

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/Masterminds/semver/v3"
	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
)

// ChartDir is the chart's directory relative to the repository's root.
const ChartDir = "charts/capstan"

// KubeVersion is the Kubernetes release a rendering assumes: the one
// capstan is tested on (K8S_VERSION in the Makefile).
const KubeVersion = "v1.37.2"

// Options say how to render the chart.
type Options struct {
	// ReleaseName and Namespace are those of `helm install NAME -n NAMESPACE`.
	ReleaseName, Namespace string
	// Values override the chart's values.yaml, as `-f values.yaml` does.
	Values map[string]any
}

// Load reads the chart from its directory.
func Load(dir string) (*chart.Chart, error) {
	ch, err := loader.LoadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("load chart %s: %w", dir, err)
	}
	return ch, nil
}

// Render returns the chart's manifests as `helm template` would print them,
// checking the values against values.schema.json. Nothing is installed.
func Render(ch *chart.Chart, opts Options) (string, error) {
	inst := action.NewInstall(&action.Configuration{})
	inst.ClientOnly, inst.DryRun, inst.Replace = true, true, true
	inst.ReleaseName, inst.Namespace = opts.ReleaseName, opts.Namespace
	inst.DisableHooks = true
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		return "", err
	}
	inst.KubeVersion = kv
	values := opts.Values
	if values == nil {
		values = map[string]any{}
	}
	rel, err := inst.Run(ch, values)
	if err != nil {
		return "", fmt.Errorf("render chart %s: %w", ch.Name(), err)
	}
	return rel.Manifest, nil
}

// Variant is one of the plain manifests generated from the chart.
type Variant struct {
	// File is its name under config/.
	File string
	// Values are what it sets beyond the chart's defaults.
	Values map[string]any
}

// Variants are the plain manifests: everything, and a namespace-scoped
// install without CRDs or cluster-wide roles, as Argo CD ships them.
var Variants = []Variant{
	{File: "install.yaml"},
	{File: "namespace-install.yaml", Values: map[string]any{
		"crds":               map[string]any{"install": false},
		"createClusterRoles": false,
	}},
}

// Manifest renders a variant for `kubectl apply -n argocd -f`.
func (v Variant) Manifest(ch *chart.Chart) (string, error) {
	out, err := Render(ch, Options{ReleaseName: "capstan", Namespace: "argocd", Values: v.Values})
	if err != nil {
		return "", fmt.Errorf("%s: %w", v.File, err)
	}
	header := "# Generated from " + ChartDir + " by `make generate`; do not edit.\n"
	return header + strings.TrimLeft(out, "\n"), nil
}

// Package writes the chart, versioned for a release, as a .tgz into
// outDir and returns its path. version is the release ("v1.2.3"): the
// chart's version drops the "v", its appVersion (the image tag) keeps it.
func Package(ch *chart.Chart, version, outDir string) (string, error) {
	v, err := semver.StrictNewVersion(strings.TrimPrefix(version, "v"))
	if err != nil {
		return "", fmt.Errorf("chart version from release %q: not SemVer: %w", version, err)
	}
	ch.Metadata.Version, ch.Metadata.AppVersion = v.String(), version
	if err := ch.Validate(); err != nil {
		return "", fmt.Errorf("chart %s: %w", ch.Name(), err)
	}
	path, err := chartutil.Save(ch, outDir)
	if err != nil {
		return "", fmt.Errorf("package chart into %s: %w", outDir, err)
	}
	return filepath.Clean(path), nil
}
