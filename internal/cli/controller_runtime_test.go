package cli

import (
	"runtime"
	"runtime/debug"
	"testing"
)

// The controller samples allocations for heap profiles only when it
// serves them (--profiling), or when GODEBUG sets the rate itself.
func TestControllerSamplesAllocationsOnlyForProfiles(t *testing.T) {
	defaultRate := runtime.MemProfileRate
	if defaultRate == 0 {
		t.Fatal("the test binary samples no allocations to begin with")
	}
	gcPercent := debug.SetGCPercent(100)
	t.Cleanup(func() {
		runtime.MemProfileRate = defaultRate
		debug.SetGCPercent(gcPercent)
	})
	for _, tc := range []struct {
		name      string
		profiling bool
		godebug   string
		want      int
	}{
		{"without --profiling", false, "", 0},
		{"with --profiling", true, "", defaultRate},
		{"with GODEBUG's rate", false, "memprofilerate=4096", defaultRate},
	} {
		t.Run(tc.name, func(t *testing.T) {
			runtime.MemProfileRate = defaultRate
			t.Setenv("GODEBUG", tc.godebug)
			o := &serverOptions{profiling: tc.profiling}
			o.tuneRuntime()
			if runtime.MemProfileRate != tc.want {
				t.Errorf("MemProfileRate = %d, want %d", runtime.MemProfileRate, tc.want)
			}
		})
	}
}
