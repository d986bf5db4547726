package server

import (
	"os"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// env is the package's control plane: the API's tests read and write real
// Applications, AppProjects and Secrets.
var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }
