package bench

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv"
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
	if got := testenv.CachedPages(t, path); got == 0 {
		t.Fatalf("a file just written has no page in the page cache: cannot tell an eviction")
	}
	if err := evictPageCache(path); err != nil {
		t.Fatal(err)
	}
	if got := testenv.CachedPages(t, path); got != 0 {
		t.Errorf("%d pages of %s still in the page cache after evictPageCache", got, path)
	}
	if err := evictPageCache(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Errorf("evictPageCache of a missing file: no error")
	}
}
