package render

import (
	"fmt"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// helmRelease is what a render tells Helm about the release, beyond the
// chart and its values.
type helmRelease struct {
	name, namespace      string
	capabilities         *chartutil.Capabilities
	includeCRDs          bool
	skipTests            bool
	skipSchemaValidation bool
}

// templateChart renders ch as `helm template` does, with Helm's engine and
// no cluster, and decodes the result in the order Helm prints it: the CRDs
// of crds/ directories, the manifests in Helm's install order, then the
// hooks. Hooks keep their helm.sh/hook annotations for the sync plan; test
// hooks are dropped when skipTests is set; NOTES.txt is never an object.
func templateChart(ch *chart.Chart, vals map[string]any, rel helmRelease) ([]*unstructured.Unstructured, error) {
	if err := chartutil.ValidateReleaseName(rel.name); err != nil {
		return nil, fmt.Errorf("release name %q: %w", rel.name, err)
	}
	if t := ch.Metadata.Type; t != "" && t != "application" {
		return nil, fmt.Errorf("chart of type %s cannot be rendered on its own", t)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, err
	}
	kube := rel.capabilities.KubeVersion.String()
	if c := ch.Metadata.KubeVersion; c != "" && !chartutil.IsCompatibleRange(c, kube) {
		return nil, fmt.Errorf("chart requires kubeVersion %s, which Kubernetes %s does not satisfy", c, kube)
	}
	top, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals, chartutil.ReleaseOptions{
		Name:      rel.name,
		Namespace: rel.namespace,
		Revision:  1,
		IsInstall: true,
	}, rel.capabilities, rel.skipSchemaValidation)
	if err != nil {
		return nil, err
	}
	files, err := engine.Engine{}.Render(ch, top)
	if err != nil {
		return nil, err
	}
	for name := range files {
		if strings.HasSuffix(name, "NOTES.txt") {
			delete(files, name)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}

	var objs []*unstructured.Unstructured
	add := func(name, content string) error {
		got, err := decode(name, []byte(content))
		objs = append(objs, got...)
		return err
	}
	if rel.includeCRDs {
		for _, crd := range ch.CRDObjects() {
			if err := add(crd.Filename, string(crd.File.Data)); err != nil {
				return nil, err
			}
		}
	}
	for _, m := range manifests {
		if err := add(m.Name, m.Content); err != nil {
			return nil, err
		}
	}
	for _, h := range hooks {
		if rel.skipTests && slices.Contains(h.Events, release.HookTest) {
			continue
		}
		if err := add(h.Path, h.Manifest); err != nil {
			return nil, err
		}
	}
	return objs, nil
}

// helmCapabilities describes the destination cluster to the templates:
// Helm's defaults, with the source's kubeVersion and apiVersions, or the
// request's when the source sets none.
func helmCapabilities(req Request, kubeVersion string, apiVersions []string) (*chartutil.Capabilities, error) {
	caps := chartutil.DefaultCapabilities.Copy()
	if v := firstNonEmpty(kubeVersion, req.KubeVersion); v != "" {
		kv, err := chartutil.ParseKubeVersion(v)
		if err != nil {
			return nil, fmt.Errorf("kubeVersion %q: %w", v, err)
		}
		caps.KubeVersion = *kv
	}
	if len(apiVersions) == 0 {
		apiVersions = req.APIVersions
	}
	caps.APIVersions = append(caps.APIVersions, apiVersions...)
	return caps, nil
}
