package cli

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/go-logr/logr"
)

// memoryLimitRatio is the share of its container's memory limit that a
// long-running capstan process gives the Go collector as a soft limit.
// The rest is left to what the collector does not count (the binary's
// pages, the kernel's buffers) and to render workers, whose own limit is
// --render-memory-limit.
const memoryLimitRatio = 0.9

// memoryLimitRefresh is how often the limit is read again: a Pod's
// resources may be resized in place.
const memoryLimitRefresh = time.Minute

// limitMemory sets Go's soft memory limit (GOMEMLIMIT) to
// memoryLimitRatio of the memory limit of the cgroup capstan runs in
// (v1 or v2, as a container sees it), and reads it again every refresh
// until ctx ends. The collector then works harder as the process nears its
// container's limit, instead of letting the heap grow to its usual goal
// and the kernel end the process. GOMEMLIMIT in the environment wins, and
// AUTOMEMLIMIT sets another ratio (0 to 1) or turns this off ("off").
// Without a limit (outside a container, or a container without one),
// nothing changes. It returns the limit in force, math.MaxInt64 for none.
func limitMemory(ctx context.Context, log logr.Logger, refresh time.Duration) int64 {
	share, set := os.LookupEnv("AUTOMEMLIMIT")
	if set && os.Getenv("GOMEMLIMIT") == "" && !validShare(share) {
		log.Error(nil, "no soft memory limit: AUTOMEMLIMIT is neither off nor a share above 0 and at most 1", "AUTOMEMLIMIT", share)
		return debug.SetMemoryLimit(-1)
	}
	// A first look without the library's logger, which would call a
	// machine without a limit to read an error; the refresh and the
	// logger come once a limit can be read.
	opts := []memlimit.Option{memlimit.WithProvider(memlimit.FromCgroup), memlimit.WithRatio(memoryLimitRatio)}
	limit, err := memlimit.Set(opts...)
	if err != nil {
		// A machine without the cgroup memory controller (a developer's
		// laptop) is no error; it is worth a word, not at -v 1 alone, to
		// whoever asked for a share.
		verbosity := 1
		if set {
			verbosity = 0
		}
		log.V(verbosity).Info("no soft memory limit: the container's memory limit cannot be read", "reason", err.Error())
		return limit
	}
	opts = append(opts, memlimit.WithRefreshInterval(ctx, refresh), memlimit.WithLogger(slog.New(logr.ToSlogHandler(log))))
	limit, err = memlimit.Set(opts...)
	switch {
	case err != nil || limit == math.MaxInt64:
	case os.Getenv("GOMEMLIMIT") != "":
		log.Info("soft memory limit set by GOMEMLIMIT", "bytes", limit)
	default:
		log.Info("soft memory limit set from the container's", "bytes", limit)
	}
	return limit
}

// validShare reports whether AUTOMEMLIMIT's value is "off" or a share of
// the container's limit, above 0 and at most 1.
func validShare(s string) bool {
	r, err := strconv.ParseFloat(s, 64)
	return s == "off" || (err == nil && r > 0 && r <= 1)
}
