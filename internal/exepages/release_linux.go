package exepages

import (
	"fmt"
	"os"
	"syscall"
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
	dev := fmt.Sprintf("%02x:%02x", major(uint64(sys.Dev)), minor(uint64(sys.Dev)))
	var released int64
	for _, m := range releasable(maps, dev, sys.Ino) {
		if _, _, errno := syscall.Syscall(syscall.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), syscall.MADV_DONTNEED); errno != 0 {
			return released, fmt.Errorf("release executable pages %x-%x: %w", m.start, m.end, errno)
		}
		released += m.rss
	}
	return released, nil
}

// major and minor split a Linux device number as the kernel's
// new_encode_dev does.
func major(dev uint64) uint64 { return (dev >> 8) & 0xfff }
func minor(dev uint64) uint64 { return (dev & 0xff) | ((dev >> 12) & 0xfff00) }
