package settings

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/gobwas/glob"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// The argocd-cm keys read here.
const (
	keyExclusions     = "resource.exclusions"
	keyInclusions     = "resource.inclusions"
	keyCompareOptions = "resource.compareoptions"
	keyTrackingMethod = "application.resourceTrackingMethod"
	keyInstanceLabel  = "application.instanceLabelKey"
	keyHardResync     = "timeout.hard.reconciliation"
	keyKustomizeBuild = "kustomize.buildOptions"
	// keyServerSideDiff is argocd-cmd-params-cm's
	// controller.diff.server.side: capstan always diffs server side.
	keyServerSideDiff = "controller.diff.server.side"
)

// Resources are resource.exclusions and resource.inclusions: the kinds
// capstan neither watches, applies nor prunes, per cluster.
type Resources struct {
	Exclusions []ResourceFilter
	Inclusions []ResourceFilter
}

// ResourceFilter is one entry of resource.exclusions or
// resource.inclusions. Each list holds globs (`*` matches any run of
// characters, `/` included); an empty list matches anything.
type ResourceFilter struct {
	APIGroups []string `json:"apiGroups,omitempty"`
	Kinds     []string `json:"kinds,omitempty"`
	Clusters  []string `json:"clusters,omitempty"`

	groups, kinds, clusters []glob.Glob
}

// Excluded reports whether objects of group and kind on the cluster at
// server are left alone: an exclusion matches, or there are inclusions
// and none matches. An exclusion wins over an inclusion.
func (r Resources) Excluded(group, kind, server string) bool {
	for _, f := range r.Exclusions {
		if f.matches(group, kind, server) {
			return true
		}
	}
	if len(r.Inclusions) == 0 {
		return false
	}
	for _, f := range r.Inclusions {
		if f.matches(group, kind, server) {
			return false
		}
	}
	return true
}

func (f ResourceFilter) matches(group, kind, server string) bool {
	return anyMatch(f.groups, group) && anyMatch(f.kinds, kind) && anyMatch(f.clusters, server)
}

// anyMatch reports whether one of globs matches s; no globs match all.
func anyMatch(globs []glob.Glob, s string) bool {
	for _, g := range globs {
		if g.Match(s) {
			return true
		}
	}
	return len(globs) == 0
}

// parseFilters reads the YAML list of resource.exclusions or
// resource.inclusions.
func parseFilters(key, raw string) ([]ResourceFilter, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var fs []ResourceFilter
	if err := yaml.UnmarshalStrict([]byte(raw), &fs); err != nil {
		return nil, fmt.Errorf("%s: want a list of apiGroups, kinds and clusters: %w", key, err)
	}
	for i := range fs {
		f := &fs[i]
		for _, list := range []struct {
			patterns []string
			into     *[]glob.Glob
		}{{f.APIGroups, &f.groups}, {f.Kinds, &f.kinds}, {f.Clusters, &f.clusters}} {
			for _, p := range list.patterns {
				g, err := glob.Compile(p)
				if err != nil {
					return nil, fmt.Errorf("%s[%d]: pattern %q: %w", key, i, p, err)
				}
				*list.into = append(*list.into, g)
			}
		}
	}
	return fs, nil
}

// compareOptions is the YAML of resource.compareoptions.
type compareOptions struct {
	IgnoreAggregatedRoles     *bool  `json:"ignoreAggregatedRoles"`
	IgnoreResourceStatusField string `json:"ignoreResourceStatusField"`
}

// parseCompareOptions reads resource.compareoptions. Fields capstan does
// not know are returned by name, to be logged as not supported.
func parseCompareOptions(raw string) (diff.Options, []string, error) {
	var o diff.Options
	if strings.TrimSpace(raw) == "" {
		return o, nil, nil
	}
	var all map[string]any
	if err := yaml.Unmarshal([]byte(raw), &all); err != nil {
		return o, nil, fmt.Errorf("%s: %w", keyCompareOptions, err)
	}
	var unknown []string
	for k := range all {
		if k != "ignoreAggregatedRoles" && k != "ignoreResourceStatusField" {
			unknown = append(unknown, fmt.Sprintf("%s: %s.%s", ConfigMap, keyCompareOptions, k))
		}
	}
	var c compareOptions
	if err := yaml.Unmarshal([]byte(raw), &c); err != nil {
		return o, nil, fmt.Errorf("%s: %w", keyCompareOptions, err)
	}
	if c.IgnoreAggregatedRoles != nil {
		o.IgnoreAggregatedRoles = *c.IgnoreAggregatedRoles
	}
	var err error
	if o.IgnoreStatus, err = diff.ParseStatusField(strings.TrimSpace(c.IgnoreResourceStatusField)); err != nil {
		return o, nil, fmt.Errorf("%s: %w", keyCompareOptions, err)
	}
	return o, unknown, nil
}

// parseTracking reads the tracking method and the instance label's key.
func parseTracking(cm map[string]string) (tracking.Policy, error) {
	m, err := tracking.ParseMethod(cm[keyTrackingMethod])
	if err != nil {
		return tracking.Policy{}, fmt.Errorf("%s: %w", keyTrackingMethod, err)
	}
	p := tracking.Policy{Method: m, LabelKey: tracking.DefaultLabelKey}
	if key := strings.TrimSpace(cm[keyInstanceLabel]); key != "" {
		if errs := validation.IsQualifiedName(key); len(errs) > 0 {
			return tracking.Policy{}, fmt.Errorf("%s %q is not a label key: %s", keyInstanceLabel, key, strings.Join(errs, "; "))
		}
		p.LabelKey = key
	}
	return p, nil
}

// serverSideDiff reads controller.diff.server.side of
// argocd-cmd-params-cm: true is what capstan always does, anything else
// is not honoured.
func serverSideDiff(params map[string]string) bool {
	v, ok := params[keyServerSideDiff]
	if !ok {
		return true
	}
	b, err := strconv.ParseBool(strings.TrimSpace(v))
	return err == nil && b
}
