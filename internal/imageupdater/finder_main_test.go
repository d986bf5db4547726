package imageupdater

import (
	"flag"
	"os"
	"testing"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// env is the package's control plane, shared by every test that reads
// Secrets or Applications: the finder's pull secrets and the write-back.
var env *testenv.Env

func TestMain(m *testing.M) {
	ctrllog.SetLogger(logr.Discard())
	flag.Parse()
	// A fuzzing worker runs only the fuzz target, a pure parser: it needs
	// no cluster, and one per worker would starve the fuzzer.
	if f := flag.Lookup("test.fuzzworker"); f != nil && f.Value.String() == "true" {
		os.Exit(m.Run())
	}
	os.Exit(testenv.Run(m, &env))
}
