package render

import (
	"context"
	"fmt"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// renderHelm renders the chart in dir the way `helm template` would and
// returns the objects and the files it read.
//
// The steps: load the chart, add the dependencies it declares but does not
// vendor from those the caller fetched (req.Dependencies), merge the values
// the source names, and template the chart with Helm's engine. Nothing is
// written into dir, and no cluster or repository is asked.
func renderHelm(ctx context.Context, req Request, root *tree, dir string) ([]*unstructured.Unstructured, []string, error) {
	opts := helmOptionsOf(req)
	ch, inputs, err := loadChart(root, dir)
	if err != nil {
		return nil, nil, err
	}
	name := ch.Name()
	if err := checkDependencyNames(ch); err != nil {
		return nil, nil, fmt.Errorf("helm chart %s: %w", name, err)
	}

	depInputs, err := addMissingDependencies(ctx, prefetched(req.Dependencies), root, dir, ch)
	if err != nil {
		return nil, nil, fmt.Errorf("helm chart %s: %w", name, err)
	}
	inputs = append(inputs, depInputs...)

	vals, valInputs, err := helmValues(req, root, dir, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("helm chart %s: %w", name, err)
	}
	inputs = append(inputs, valInputs...)

	// Helm's engine cannot be interrupted; do not start it for nothing.
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	caps, err := helmCapabilities(req, opts.KubeVersion, opts.APIVersions)
	if err != nil {
		return nil, nil, fmt.Errorf("helm chart %s: %w", name, err)
	}
	objs, err := templateChart(ch, vals, helmRelease{
		name:                 firstNonEmpty(opts.ReleaseName, req.AppName),
		namespace:            firstNonEmpty(opts.Namespace, req.Namespace),
		capabilities:         caps,
		includeCRDs:          !opts.SkipCrds,
		skipTests:            opts.SkipTests,
		skipSchemaValidation: opts.SkipSchemaValidation,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("helm chart %s: %w", name, err)
	}
	slices.Sort(inputs)
	return objs, slices.Compact(inputs), nil
}

// helmOptionsOf returns the source's Helm settings, empty when it has none.
func helmOptionsOf(req Request) v1alpha1.ApplicationSourceHelm {
	if req.Source.Helm == nil {
		return v1alpha1.ApplicationSourceHelm{}
	}
	return *req.Source.Helm
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
