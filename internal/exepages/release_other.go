//go:build !linux

package exepages

// Release does nothing where the kernel's per-mapping advice is not known
// to behave as on Linux.
func Release() (int64, error) { return 0, nil }
