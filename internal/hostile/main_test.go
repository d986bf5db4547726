package hostile

import (
	"context"
	"fmt"
	"github.com/go-logr/logr"
	"net/http/httptest"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/gitserve"
	"github.com/capstan-cd/capstan/internal/testenv"
)

// controlPlane is capstan's control-plane namespace in the suite.
const controlPlane = "argocd"

// The private Git server's credentials.
const (
	privateUser     = "team-a-bot"
	privatePassword = "pr1vate-pass-4af2"
)

// suite is what TestMain starts once for every case: one control plane,
// two Git servers and one capstan process.
var suite struct {
	env *testenv.Env
	// dir holds capstan's binary, caches, temporary files and log.
	dir string
	cl  client.Client
	cs  kubernetes.Interface
	// public serves repositories without authentication, private with
	// basic auth (privateUser, privatePassword).
	public, private *gitServer
	capstan         *capstanProc
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := setUp(ctx, m)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile:", err)
		return 1
	}
	return code
}

// setUp starts everything, runs the tests and stops everything, keeping
// the logs when a test failed.
func setUp(ctx context.Context, m *testing.M) (code int, err error) {
	dir, err := os.MkdirTemp("", "capstan-hostile-")
	if err != nil {
		return 0, err
	}
	suite.dir = dir
	defer func() {
		if code == 0 && err == nil {
			_ = removeTree(dir)
		} else {
			fmt.Fprintf(os.Stderr, "hostile: capstan's log and caches kept in %s\n", dir)
		}
	}()
	env, err := testenv.Start(ctx)
	if err != nil {
		return 0, err
	}
	suite.env = env
	defer func() {
		if serr := env.Stop(code == 0 && err == nil); serr != nil && err == nil {
			err = serr
		}
	}()
	binary, err := buildCapstan(ctx, env.Root, dir)
	if err != nil {
		return 0, err
	}
	if err := connect(ctx); err != nil {
		return 0, err
	}
	if suite.public, err = startGitServer(filepath.Join(dir, "git-public"), "", ""); err != nil {
		return 0, err
	}
	defer suite.public.close()
	if suite.private, err = startGitServer(filepath.Join(dir, "git-private"), privateUser, privatePassword); err != nil {
		return 0, err
	}
	defer suite.private.close()
	if suite.capstan, err = startCapstan(ctx, binary, env.Cluster.Kubeconfig, dir); err != nil {
		return 0, err
	}
	defer suite.capstan.stop()
	if err := startCanary(ctx); err != nil {
		return 0, err
	}
	return m.Run(), nil
}

// buildCapstan builds ./cmd/capstan and its render worker ./cmd/capstan-render
// of the module at root into dir: the suite runs the binaries users run.
// $CAPSTAN_HOSTILE_BINARY names another binary instead, to show that a case
// fails on an older capstan.
func buildCapstan(ctx context.Context, root, dir string) (string, error) {
	if bin := os.Getenv("CAPSTAN_HOSTILE_BINARY"); bin != "" {
		return bin, nil
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+"/", "./cmd/capstan", "./cmd/capstan-render")
	cmd.Dir = root
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./cmd/capstan ./cmd/capstan-render: %w\n%s", err, b)
	}
	return filepath.Join(dir, "capstan"), nil
}

// connect makes the suite's clients and the control-plane namespace, with
// an argocd-cm that polls every 2 s without jitter, so that the canary sees
// a commit quickly without a webhook, and that requires every webhook
// event to be signed.
func connect(ctx context.Context) error {
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := v1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return err
	}
	cfg := suite.env.Config()
	cl, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	suite.cl = cl
	if suite.cs, err = kubernetes.NewForConfig(cfg); err != nil {
		return err
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}},
		&corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: controlPlane},
			Data: map[string]string{
				"timeout.reconciliation": "2s", "timeout.reconciliation.jitter": "0s",
				"capstan.webhook.requireSignature": "true",
			},
		},
		&corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "argocd-secret", Namespace: controlPlane},
			StringData: map[string]string{"webhook.github.secret": githubSecret},
		},
	} {
		if err := cl.Create(ctx, obj); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}

// gitServer serves the bare repositories under a directory over smart HTTP.
type gitServer struct {
	*gitserve.Handler
	srv *httptest.Server
}

func startGitServer(root, user, password string) (*gitServer, error) {
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	h, err := gitserve.NewHandler(root)
	if err != nil {
		return nil, err
	}
	h.Username, h.Password = user, password
	return &gitServer{Handler: h, srv: httptest.NewServer(h)}, nil
}

// url is the URL of the repository name.
func (s *gitServer) url(name string) string { return s.srv.URL + "/" + name + ".git" }

func (s *gitServer) close() {
	s.srv.CloseClientConnections()
	s.srv.Close()
}

// removeTree deletes dir, including the read-only trees capstan checked out.
func removeTree(dir string) error {
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(p, 0o755)
		}
		return nil
	})
	return os.RemoveAll(dir)
}

// bounded is the longest any wait of the suite lasts.
const bounded = 90 * time.Second
