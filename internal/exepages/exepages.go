// Package exepages gives back the resident pages of the running
// executable that start-up touched and later work does not need.
//
// A Go binary's package initialisation runs code and reads tables all
// over its text and read-only data, and the kernel maps each page a
// process touches, with its cached neighbours, until the process ends:
// capstan's 100 MiB binary keeps some 50 MiB resident after start-up, most
// of it never used again. Release unmaps them, and drops from the page
// cache those no process maps, so that each page the process uses later
// is read and mapped alone (see Release).
package exepages

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// mapping is one line of /proc/PID/smaps with the fields Release reads.
type mapping struct {
	start, end uint64
	perms      string
	dev        string // major:minor, in hex as the kernel prints it
	inode      uint64
	path       string
	rss        int64 // bytes
	anonymous  int64 // bytes: pages the process wrote (copy on write)
	flags      []string
}

// releasable are the mappings of the file dev:inode that may be unmapped
// without losing anything: not writable, and without a page the process
// changed (the dynamic loader's relocated, then write-protected, RELRO
// pages are such). Only their file pages are there, equal to the file's.
// Those with nothing resident are among them: Release advises them too.
func releasable(maps []mapping, dev string, inode uint64) []mapping {
	var out []mapping
	for _, m := range maps {
		if m.inode != inode || m.dev != dev || strings.Contains(m.perms, "w") || m.anonymous != 0 {
			continue
		}
		out = append(out, m)
	}
	return out
}

// parseSmaps reads /proc/PID/smaps: a header line per mapping
// ("start-end perms offset dev inode [path]") followed by "Key: N kB"
// lines.
func parseSmaps(r io.Reader) ([]mapping, error) {
	var out []mapping
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Bytes()
		if key, rest, ok := bytes.Cut(line, []byte(":")); ok && !bytes.ContainsAny(key, " -") {
			if len(out) == 0 {
				return nil, fmt.Errorf("smaps: %q before the first mapping", line)
			}
			m := &out[len(out)-1]
			switch string(key) {
			case "Rss":
				m.rss = kB(rest)
			case "Anonymous":
				m.anonymous = kB(rest)
			case "VmFlags":
				m.flags = strings.Fields(string(rest))
			}
			continue
		}
		m, err := parseHeader(string(line))
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, sc.Err()
}

func parseHeader(line string) (mapping, error) {
	f := strings.Fields(line)
	if len(f) < 5 {
		return mapping{}, fmt.Errorf("smaps: bad mapping line %q", line)
	}
	lo, hi, ok := strings.Cut(f[0], "-")
	start, err1 := strconv.ParseUint(lo, 16, 64)
	end, err2 := strconv.ParseUint(hi, 16, 64)
	inode, err3 := strconv.ParseUint(f[4], 10, 64)
	if !ok || err1 != nil || err2 != nil || err3 != nil || end < start {
		return mapping{}, fmt.Errorf("smaps: bad mapping line %q", line)
	}
	return mapping{start: start, end: end, perms: f[1], dev: f[3], inode: inode, path: strings.Join(f[5:], " ")}, nil
}

// kB reads " 1234 kB" as bytes; anything else is 0.
func kB(b []byte) int64 {
	f := strings.Fields(string(b))
	if len(f) != 2 || f[1] != "kB" {
		return 0
	}
	n, _ := strconv.ParseInt(f[0], 10, 64)
	return n << 10
}
