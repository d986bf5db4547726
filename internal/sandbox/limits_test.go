package sandbox

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestKeptWorkersFlag checks --render-workers-kept: parsed into Keep,
// 0 allowed (every idle worker exits), and more than --render-workers or
// fewer than 0 refused with a message naming the flag.
func TestKeptWorkersFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		keep int
		err  string
	}{
		{args: nil, keep: 1},
		{args: []string{"--render-workers-kept=0"}, keep: 0},
		{args: []string{"--render-workers=3", "--render-workers-kept=3"}, keep: 3},
		{args: []string{"--render-workers=2", "--render-workers-kept=3"}, err: "--render-workers-kept 3: want 0 to --render-workers (2)"},
		{args: []string{"--render-workers-kept=-1"}, err: "--render-workers-kept -1: want 0 to --render-workers"},
	} {
		o := DefaultOptions()
		o.Workers = 4
		fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
		o.BindFlags(fs)
		if err := fs.Parse(tt.args); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		err := o.Validate()
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%v: %v", tt.args, err)
		case tt.err == "" && o.Keep != tt.keep:
			t.Errorf("%v: Keep %d, want %d", tt.args, o.Keep, tt.keep)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.err)
		}
	}
}
