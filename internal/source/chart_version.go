package source

import (
	"errors"
	"fmt"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// errNoMatchingVersion is returned by selectVersion when nothing matches.
var errNoMatchingVersion = errors.New("no matching version")

// selectVersion returns the version of versions that spec.source.
// targetRevision asks for: the version written exactly, or else the newest
// version a semver constraint ("1.2.*", ">=1.0 <2", "~1.2", "*") admits.
// Pre-releases match only a constraint that names a pre-release itself, so
// "*" never picks 2.0.0-rc.1. An empty constraint means "*".
func selectVersion(versions []string, constraint string) (string, error) {
	constraint = strings.TrimSpace(constraint)
	if constraint == "" {
		constraint = "*"
	}
	for _, v := range versions {
		if v == constraint {
			return v, nil
		}
	}
	c, err := semver.NewConstraint(constraint)
	if err != nil {
		return "", fmt.Errorf("%q is neither a version nor a version constraint: %w", constraint, err)
	}
	var best string
	var bestV *semver.Version
	for _, v := range versions {
		sv, err := semver.NewVersion(v)
		if err != nil || !c.Check(sv) {
			continue
		}
		if bestV == nil || sv.GreaterThan(bestV) {
			best, bestV = v, sv
		}
	}
	if bestV == nil {
		return "", errNoMatchingVersion
	}
	return best, nil
}
