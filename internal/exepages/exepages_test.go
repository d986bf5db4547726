package exepages

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const sampleSmaps = `00400000-02549000 r-xp 00000000 fd:00 4242 /usr/bin/capstan
Size:              34084 kB
Rss:               22436 kB
Anonymous:             0 kB
VmFlags: rd ex mr mw me dw
02549000-04a70000 r--p 02149000 fd:00 4242 /usr/bin/capstan
Rss:               29468 kB
Anonymous:             0 kB
04a70000-04a71000 r--p 04670000 fd:00 4242 /usr/bin/capstan
Rss:                   4 kB
Anonymous:             4 kB
04a71000-04d7c000 rw-p 04671000 fd:00 4242 /usr/bin/capstan
Rss:                2800 kB
Anonymous:           900 kB
04d7c000-04d90000 r--p 00000000 fd:00 4243 /usr/lib/libc.so.6
Rss:                 356 kB
Anonymous:             0 kB
05000000-05001000 r--p 00000000 fd:01 4242 /other/disk/file
Rss:                   4 kB
Anonymous:             0 kB
06000000-06100000 r--p 04d7c000 fd:00 4242 /usr/bin/capstan
Rss:                   0 kB
Anonymous:             0 kB
c000000000-c004000000 rw-p 00000000 00:00 0 
Rss:               10552 kB
Anonymous:         10552 kB
`

// TestReleasable checks that only the executable's unchanged read-only
// mappings are released: never its data, never a page the process wrote
// (the loader's write-protected relocations), never another file. One
// with nothing resident is released too, for the advice Release gives it.
func TestReleasable(t *testing.T) {
	maps, err := parseSmaps(strings.NewReader(sampleSmaps))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range releasable(maps, "fd:00", 4242) {
		got = append(got, fmt.Sprintf("%x-%x %s %s %d", m.start, m.end, m.perms, m.path, m.rss>>10))
	}
	want := []string{
		"400000-2549000 r-xp /usr/bin/capstan 22436",
		"2549000-4a70000 r--p /usr/bin/capstan 29468",
		"6000000-6100000 r--p /usr/bin/capstan 0",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("releasable mappings (-want +got):\n%s", diff)
	}
}

func TestParseSmapsRejectsGarbage(t *testing.T) {
	for _, in := range []string{"Rss: 4 kB\n", "not a mapping\n", "zz-00 r--p 0 fd:00 1\n", "2000-1000 r--p 0 fd:00 1\n"} {
		if _, err := parseSmaps(strings.NewReader(in)); err == nil {
			t.Errorf("parseSmaps(%q) = nil error", in)
		}
	}
}
