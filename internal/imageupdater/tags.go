package imageupdater

import (
	"path/filepath"
	"regexp"
)

// tagFilter decides which tags of an image may be chosen: those the
// allow-tags expression matches and no ignore-tags glob does; for the
// digest strategy, only the tag it follows.
type tagFilter struct {
	allow  *regexp.Regexp
	ignore []string
	only   string
}

// newTagFilter builds the filter of an image's options, which
// ParseAnnotations has checked.
func newTagFilter(spec ImageSpec) (tagFilter, error) {
	allow, err := parseAllowTags(spec.AllowTags)
	if err != nil {
		return tagFilter{}, err
	}
	f := tagFilter{allow: allow, ignore: spec.IgnoreTags}
	if spec.Strategy == StrategyDigest {
		f.only = spec.Constraint
	}
	return f, nil
}

// keep says whether tag may be chosen.
func (f tagFilter) keep(tag string) bool {
	if f.only != "" && tag != f.only {
		return false
	}
	if f.allow != nil && !f.allow.MatchString(tag) {
		return false
	}
	for _, g := range f.ignore {
		if ok, _ := filepath.Match(g, tag); ok {
			return false
		}
	}
	return true
}

// apply returns the tags that may be chosen, in their order.
func (f tagFilter) apply(tags []string) []string {
	var kept []string
	for _, t := range tags {
		if f.keep(t) {
			kept = append(kept, t)
		}
	}
	return kept
}
