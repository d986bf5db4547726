//go:build !linux

package exepages

import "time"

// Release does nothing where the kernel's per-mapping advice is not known
// to behave as on Linux.
func Release() (int64, error) { return 0, nil }

// cpuTime is 0: with nothing to release, ReleaseWhenQuiet never calls
// Release.
func cpuTime() time.Duration { return 0 }
