package imageupdater

import (
	"os"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// env is the package's control plane, shared by every test that reads
// Secrets or Applications: the finder's pull secrets and the write-back.
var env *testenv.Env

func TestMain(m *testing.M) {
	os.Exit(testenv.Run(m, &env))
}
