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
func Release() (int64, error) {
	st, err := os.Stat("/proc/self/exe")
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
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), syscall.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("release executable pages %x-%x: %w", m.start, m.end, errno)
		}
		released += m.rss
	}
	return released, nil
}
