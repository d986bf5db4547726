package bench

import (
	"os"
	"path/filepath"
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TestEvictPageCache writes a file, which leaves it in the page cache, and
// checks that none of its pages is resident once evicted.
func TestEvictPageCache(t *testing.T) {
	path := filepath.Join(t.TempDir(), "binary")
	data := make([]byte, 1<<20)
	for i := range data {
		data[i] = byte(i)
	}
	if err := os.WriteFile(path, data, 0o755); err != nil {
		t.Fatal(err)
	}
	if got := residentPages(t, path); got == 0 {
		t.Fatalf("a file just written has no page in the page cache: cannot tell an eviction")
	}
	if err := evictPageCache(path); err != nil {
		t.Fatal(err)
	}
	if got := residentPages(t, path); got != 0 {
		t.Errorf("%d pages of %s still in the page cache after evictPageCache", got, path)
	}
	if err := evictPageCache(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("evictPageCache of a missing file: no error")
	}
}

// residentPages counts the pages of the file in the page cache (mincore of
// a mapping that does not touch them).
func residentPages(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	m, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Munmap(m)
	vec := make([]byte, (len(m)+os.Getpagesize()-1)/os.Getpagesize())
	if _, _, errno := unix.Syscall(unix.SYS_MINCORE, uintptr(unsafe.Pointer(&m[0])), uintptr(len(m)), uintptr(unsafe.Pointer(&vec[0]))); errno != 0 {
		t.Fatalf("mincore %s: %v", path, errno)
	}
	n := 0
	for _, v := range vec {
		n += int(v & 1)
	}
	return n
}
