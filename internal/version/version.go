// Package version holds capstan's version, set at build time through
// -ldflags "-X github.com/capstan-cd/capstan/internal/version.Version=...".
package version

import (
	"fmt"
	"runtime"
)

// Set by the linker; the defaults describe a build outside the Makefile.
var (
	// Version is the release, or `git describe` of the build.
	Version = "dev"
	// Commit is the full commit the binary was built from.
	Commit = "unknown"
)

// String is the one-line form printed by `capstan version`.
func String() string {
	return fmt.Sprintf("capstan %s (commit %s, %s, %s/%s)", Version, Commit, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
