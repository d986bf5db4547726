package sandbox

import (
	"context"
	"fmt"
	"os"
	"testing"
)

// The test binary is its own render worker: started with EnvWorker set,
// it serves renders instead of running the tests, as capstan's binary does
// under its render-worker command.
func TestMain(m *testing.M) {
	if IsWorker() {
		if err := Serve(context.Background(), os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}
