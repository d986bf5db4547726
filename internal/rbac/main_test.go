package rbac

import (
	"os"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// env is the package's control plane: the watch tests edit a real
// argocd-rbac-cm and read real AppProjects.
var env *testenv.Env

func TestMain(m *testing.M) { os.Exit(testenv.Run(m, &env)) }
