package exepages

import (
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv"
)

var written []string

// TestRelease releases the test binary's own pages: its code and
// read-only data stop being resident, what the process wrote to its data
// stays, and it goes on running code that was unmapped.
func TestRelease(t *testing.T) {
	written = append(written, strings.Repeat("x", 3))
	// A collection reads the function tables of every stack it scans:
	// one between Release and the count maps much of them again.
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	before := readOnlyRSS(t)
	released, err := Release()
	if err != nil {
		t.Fatal(err)
	}
	after := readOnlyRSS(t)
	// Counting runs code, which maps pages again, and in a test binary
	// of a few MiB that code lies near much of the rest (the kernel maps
	// 64 KiB around each fault): about half is resident again after it.
	if released < before/2 || after > before*3/4 {
		t.Errorf("read-only pages of the executable: %d bytes resident before, %d after, %d reported released", before, after, released)
	}
	if len(written) != 1 || written[0] != "xxx" {
		t.Errorf("data the process wrote reads %q after Release", written)
	}
	if again := readOnlyRSS(t); again == 0 {
		t.Errorf("no page of the executable mapped again after running code")
	}
}

// readOnlyRSS is the resident size of the test binary's read-only
// mappings.
func readOnlyRSS(t *testing.T) int64 {
	t.Helper()
	var n int64
	for _, m := range exeMappings(t) {
		if !strings.Contains(m.perms, "w") {
			n += m.rss
		}
	}
	return n
}

// exeMappings are the test binary's mappings, from /proc/self/smaps.
func exeMappings(t *testing.T) []mapping {
	t.Helper()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	maps, err := parseSmaps(f)
	if err != nil {
		t.Fatal(err)
	}
	var out []mapping
	for _, m := range maps {
		if m.path == exe {
			out = append(out, m)
		}
	}
	return out
}

// TestDropCachedEmptiesAnUnmappedFile checks the page-cache half of
// Release on a copy of the test binary that no process maps: every page
// of it leaves the cache. On the running executable the same call leaves
// the pages in use, with their large folios, whose size the kernel
// chooses: a fresh link in a busy `make test` once left 78 % of the test
// binary cached, about a fifth on a quiet machine.
func TestDropCachedEmptiesAnUnmappedFile(t *testing.T) {
	exe, err := os.ReadFile("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "copy")
	if err := os.WriteFile(path, exe, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// A page still to be written is not dropped: an executable is on
	// disk long before it runs, the copy only once synced.
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, f); err != nil { // all of it in the page cache
		t.Fatal(err)
	}
	total := (len(exe) + os.Getpagesize() - 1) / os.Getpagesize()
	before := testenv.CachedPages(t, path)
	if err := dropCached(f); err != nil {
		t.Fatal(err)
	}
	// CachedPages maps the file for a moment to count: nothing else does.
	if after := testenv.CachedPages(t, path); before < total*9/10 || after > total/100 {
		t.Errorf("pages of an unmapped copy of the executable in the page cache: %d of %d after reading it, %d after dropCached", before, total, after)
	}
}

// TestReleaseDropsTheCachedExecutable checks the rest of Release on the
// running executable: some of its cached pages leave the page cache (those
// in use stay, see TestDropCachedEmptiesAnUnmappedFile), so that a later
// fault finds fewer cached neighbours to map with its page, and its
// mappings carry the advice (MADV_RANDOM, "rr" in smaps) under which this
// process's later faults read no more than their page.
func TestReleaseDropsTheCachedExecutable(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	if _, err := os.ReadFile("/proc/self/exe"); err != nil { // all of it in the page cache
		t.Fatal(err)
	}
	before := testenv.CachedPages(t, "/proc/self/exe")
	if _, err := Release(); err != nil {
		t.Fatal(err)
	}
	if after := testenv.CachedPages(t, "/proc/self/exe"); after >= before {
		t.Errorf("pages of the executable in the page cache: %d after reading it, %d after Release", before, after)
	}
	for _, m := range exeMappings(t) {
		if !strings.Contains(m.perms, "w") && m.anonymous == 0 && !slices.Contains(m.flags, "rr") {
			t.Errorf("mapping %x-%x %s of the executable has flags %v, want rr (no read-ahead)", m.start, m.end, m.perms, m.flags)
		}
	}
}
