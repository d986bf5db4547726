package cli

import (
	"context"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/go-logr/logr/funcr"
)

// An AUTOMEMLIMIT that is neither off nor a share of the container's
// limit is the operator's mistake: it is logged as an error naming the
// value, and the limit in force stays. A valid one, or one that
// GOMEMLIMIT overrides, is no error, whether or not this machine has a
// limit to read.
func TestMemoryLimitReportsAMistakenShare(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	for _, tc := range []struct {
		share, goMemLimit string
		mistaken          bool
	}{
		{share: "1.5", mistaken: true},
		{share: "0", mistaken: true},
		{share: "most", mistaken: true},
		{share: "NaN", mistaken: true},
		{share: "0.5"},
		{share: "1"},
		{share: "off"},
		{share: "1.5", goMemLimit: "100MiB"},
		{share: "0.5", goMemLimit: "100MiB"},
	} {
		t.Run(tc.share+" "+tc.goMemLimit, func(t *testing.T) {
			t.Setenv("AUTOMEMLIMIT", tc.share)
			t.Setenv("GOMEMLIMIT", tc.goMemLimit)
			if tc.goMemLimit != "" {
				// What the runtime does with GOMEMLIMIT at start.
				debug.SetMemoryLimit(100 << 20)
				defer debug.SetMemoryLimit(before)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var errs, infos []string
			log := funcr.New(func(_, args string) {
				if strings.Contains(args, `"error"=`) {
					errs = append(errs, args)
				} else {
					infos = append(infos, args)
				}
			}, funcr.Options{})
			inForce := debug.SetMemoryLimit(-1)
			got := limitMemory(ctx, log, memoryLimitRefresh)
			if !tc.mistaken {
				if len(errs) > 0 {
					t.Errorf("AUTOMEMLIMIT=%q GOMEMLIMIT=%q logged errors: %q", tc.share, tc.goMemLimit, errs)
				}
				for _, line := range infos {
					if tc.goMemLimit != "" && strings.Contains(line, "container's") {
						t.Errorf("with GOMEMLIMIT=%s, capstan said %s", tc.goMemLimit, line)
					}
				}
				return
			}
			if len(errs) != 1 || !strings.Contains(errs[0], `"AUTOMEMLIMIT"="`+tc.share+`"`) {
				t.Errorf("AUTOMEMLIMIT=%q logged errors %q, want one naming the value", tc.share, errs)
			}
			if got != inForce || debug.SetMemoryLimit(-1) != inForce {
				t.Errorf("AUTOMEMLIMIT=%q: limit %d, in force %d; want %d unchanged", tc.share, got, debug.SetMemoryLimit(-1), inForce)
			}
		})
	}
}
