package imageupdater

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/Masterminds/semver/v3"
)

// Strategy is how the new version of an image is chosen among its tags.
type Strategy string

// The update strategies of the <alias>.update-strategy annotation.
const (
	// StrategySemver takes the highest semantic version allowed by the
	// constraint; tags that are not versions are skipped.
	StrategySemver Strategy = "semver"
	// StrategyNewestBuild takes the tag whose image was built last.
	StrategyNewestBuild Strategy = "newest-build"
	// StrategyAlphabetical takes the tag that sorts last.
	StrategyAlphabetical Strategy = "alphabetical"
	// StrategyDigest follows the digest of one mutable tag.
	StrategyDigest Strategy = "digest"
)

// ParseStrategy reads an update-strategy value, accepting the older names
// latest (newest-build) and name (alphabetical).
func ParseStrategy(v string) (Strategy, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "semver":
		return StrategySemver, nil
	case "newest-build", "latest":
		return StrategyNewestBuild, nil
	case "alphabetical", "name":
		return StrategyAlphabetical, nil
	case "digest":
		return StrategyDigest, nil
	}
	return "", fmt.Errorf("unknown update strategy %q: want semver, newest-build, alphabetical or digest", v)
}

// readsMetadata says whether the strategy needs each tag's manifest (for
// its build time or digest), not only the list of tags.
func (s Strategy) readsMetadata() bool {
	return s == StrategyNewestBuild || s == StrategyDigest
}

// Candidate is one tag an image may move to.
type Candidate struct {
	Tag string
	// Digest is the tag's manifest (or index) digest, when read.
	Digest string
	// Created is when the image was built, when read.
	Created time.Time
}

// Pick chooses the version the strategy moves to among candidates that
// passed the tag filters, and whether there is one. current is the tag
// running now; on a tie in build time it is kept, so that images built
// at the same instant do not take turns.
func Pick(s Strategy, constraint, current string, candidates []Candidate) (Candidate, bool) {
	switch s {
	case StrategySemver:
		return pickSemver(constraint, candidates)
	case StrategyNewestBuild:
		return pickNewest(current, candidates)
	case StrategyAlphabetical:
		return pickLast(candidates, func(a, b Candidate) int { return strings.Compare(a.Tag, b.Tag) })
	case StrategyDigest:
		for _, c := range candidates {
			if c.Tag == constraint && c.Digest != "" {
				return c, true
			}
		}
	}
	return Candidate{}, false
}

// pickSemver takes the highest version the constraint allows. Without a
// constraint every tag that is a version is allowed, pre-releases
// included; a constraint admits pre-releases only when it names one
// (>=2.0.0-0), as semver constraints do.
func pickSemver(constraint string, candidates []Candidate) (Candidate, bool) {
	var c *semver.Constraints
	if constraint != "" {
		var err error
		if c, err = semver.NewConstraint(constraint); err != nil {
			return Candidate{}, false
		}
	}
	type versioned struct {
		Candidate
		v *semver.Version
	}
	var allowed []versioned
	for _, cand := range candidates {
		v, err := semver.NewVersion(cand.Tag)
		if err != nil || (c != nil && !c.Check(v)) {
			continue
		}
		allowed = append(allowed, versioned{cand, v})
	}
	best, ok := pickLast(allowed, func(a, b versioned) int {
		// Equal versions written differently (1.2, v1.2.0) are ordered by
		// their tag, so that the choice does not depend on list order.
		return cmp.Or(a.v.Compare(b.v), strings.Compare(a.Tag, b.Tag))
	})
	return best.Candidate, ok
}

// pickNewest takes the candidate built last, keeping current on a tie,
// else the tag that sorts last among those built at that time.
func pickNewest(current string, candidates []Candidate) (Candidate, bool) {
	best, ok := pickLast(candidates, func(a, b Candidate) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.Tag, b.Tag))
	})
	if !ok {
		return best, false
	}
	for _, c := range candidates {
		if c.Tag == current && c.Created.Equal(best.Created) {
			return c, true
		}
	}
	return best, true
}

// pickLast returns the greatest element by compare.
func pickLast[T any](items []T, compare func(a, b T) int) (T, bool) {
	if len(items) == 0 {
		var zero T
		return zero, false
	}
	return slices.MaxFunc(items, compare), true
}
