package exepages

import (
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Release unmaps from this process the resident pages of its executable's
// code and read-only data, and returns how many bytes were resident there.
// It is safe at any time: no page it unmaps holds anything but the file's
// content, and whatever runs next maps again the pages it uses.
//
// It also keeps what is mapped again to what is used. On a fault the
// kernel maps, besides the page asked for, the neighbours the page cache
// holds (64 KiB around it, or the whole large folio it is part of), and
// start-up, read ahead in large blocks, leaves nearly all the binary
// cached. So Release asks that this process's later faults on the
// executable read no more than their page (MADV_RANDOM), and drops from
// the page cache the executable's pages no process maps: a page used
// later is read from the file once (a disk read, where a minor fault
// was enough before), and its neighbours are mapped only if something
// has read them since. A page in use when Release runs stays cached,
// with the large folio it is part of. In a W1 run, capstan's resident
// binary pages at idle fell from 39.4 to 28.5 MiB (docs/performance.md).
func Release() (int64, error) {
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		return 0, fmt.Errorf("open the executable: %w", err)
	}
	defer exe.Close()
	st, err := exe.Stat()
	if err != nil {
		return 0, fmt.Errorf("find the executable: %w", err)
	}
	sys, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, fmt.Errorf("find the executable: no device and inode")
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return 0, err
	}
	maps, err := parseSmaps(f)
	f.Close()
	if err != nil {
		return 0, err
	}
	dev := fmt.Sprintf("%02x:%02x", unix.Major(sys.Dev), unix.Minor(sys.Dev))
	var released int64
	for _, m := range releasable(maps, dev, sys.Ino) {
		for _, advice := range []int{unix.MADV_DONTNEED, unix.MADV_RANDOM} {
			if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), uintptr(advice)); errno != 0 {
				return released, fmt.Errorf("release executable pages %x-%x: %w", m.start, m.end, errno)
			}
		}
		released += m.rss
	}
	if err := dropCached(exe); err != nil {
		return released, fmt.Errorf("drop the executable's cached pages: %w", err)
	}
	return released, nil
}

// dropCached drops from the page cache f's pages that no process maps
// (with the large folios they are part of) and that hold nothing yet to
// be written.
func dropCached(f *os.File) error {
	return unix.Fadvise(int(f.Fd()), 0, 0, unix.FADV_DONTNEED)
}
