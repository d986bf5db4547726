package install

import (
	"os"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// env is the package's control plane, without capstan's CRDs: the chart
// installs them.
var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.RunWith(m, &env, testenv.Options{NoCRDs: true})) }
