package bench

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// evictPageCache drops the file's pages from the kernel's page cache, so
// that the next process to run it reads it from disk.
//
// The memory capstan reports counts the pages of its binary it has mapped,
// and on a fault the kernel maps the whole page-cache folio that holds the
// page. A binary the linker has just written sits in the page cache in
// folios of up to 2 MiB, where one read from disk sits in pages of 4 to
// 16 KiB: run as it was linked, capstan mapped 14 MiB more of its binary
// (docs/performance.md, "Memory on 2026-12-03: allocation samples and
// the binary's folios"). Evicting it first measures each start the same
// way, whatever wrote the binary last.
func evictPageCache(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	// Dirty pages stay in the cache: write them out first.
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %s out: %w", path, err)
	}
	if err := unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED); err != nil {
		return fmt.Errorf("drop %s from the page cache: %w", path, err)
	}
	return nil
}
