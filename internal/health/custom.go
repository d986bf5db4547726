package health

import (
	"context"
	"fmt"
	"path"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Checks are the custom health checks of an installation, by group and
// kind. A key is "group/kind" ("Kind" or "/Kind" for the core group) and
// may be a glob ("*.crossplane.io/*"); an exact key wins over globs, and
// globs are tried in the order of their keys. A custom check replaces the
// built-in one. The zero value and nil have no custom checks.
type Checks struct {
	exact map[schema.GroupKind]Check
	globs []globCheck
}

type globCheck struct {
	pattern string
	check   Check
}

// NewChecks indexes checks by their "group/kind" keys.
func NewChecks(checks map[string]Check) *Checks {
	c := &Checks{exact: map[schema.GroupKind]Check{}}
	for key, check := range checks {
		if isGlob(key) {
			c.globs = append(c.globs, globCheck{pattern: key, check: check})
			continue
		}
		c.exact[ParseGroupKind(key)] = check
	}
	sort.Slice(c.globs, func(i, j int) bool { return c.globs[i].pattern < c.globs[j].pattern })
	return c
}

// ParseGroupKind reads "group/kind", "/kind" or "kind" (the core group).
func ParseGroupKind(key string) schema.GroupKind {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == '/' {
			return schema.GroupKind{Group: key[:i], Kind: key[i+1:]}
		}
	}
	return schema.GroupKind{Kind: key}
}

func isGlob(key string) bool {
	for _, r := range key {
		switch r {
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// lookup finds the custom check for gk, if any.
func (c *Checks) lookup(gk schema.GroupKind) (Check, bool) {
	if c == nil {
		return nil, false
	}
	if check, ok := c.exact[gk]; ok {
		return check, true
	}
	name := gk.Group + "/" + gk.Kind
	for _, g := range c.globs {
		if ok, _ := path.Match(g.pattern, name); ok {
			return g.check, true
		}
	}
	return nil, false
}

// Has reports whether a custom check matches gk.
func (c *Checks) Has(gk schema.GroupKind) bool {
	_, ok := c.lookup(gk)
	return ok
}

// Of is the health of obj: a custom check when one matches its kind, else
// the built-in assessment (see the package function Of).
func (c *Checks) Of(ctx context.Context, obj *unstructured.Unstructured) (*Status, error) {
	if obj == nil || obj.GetDeletionTimestamp() != nil {
		return Of(obj)
	}
	gk := obj.GroupVersionKind().GroupKind()
	check, ok := c.lookup(gk)
	if !ok {
		return Of(obj)
	}
	st, err := check.Assess(ctx, obj)
	if err != nil {
		return nil, fmt.Errorf("assess health of %s %s/%s with its customization: %w", gk.Kind, obj.GetNamespace(), obj.GetName(), err)
	}
	return st, nil
}
