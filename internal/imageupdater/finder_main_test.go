package imageupdater

import (
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
	os.Exit(testenv.Run(m, &env))
}
