package ui_test

// The end-to-end harness of the UI's tests: one control plane and one
// `capstan run` (controllers, API and UI, in their own process) for the
// package, and a real headless Chromium per test, driven over the DevTools
// protocol.

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cli"
	"github.com/capstan-cd/capstan/internal/sandbox"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// controlPlane is the namespace capstan runs in during these tests.
const controlPlane = "argocd"

// childEnv makes the test binary run capstan with its arguments instead of
// the tests: the harness starts capstan this way, and capstan starts its
// render workers the same way.
const childEnv = "CAPSTAN_UI_TEST_CHILD"

var env *testenv.Env

func TestMain(m *testing.M) {
	// capstan starts its render workers with a clean environment, without
	// childEnv: they are told by sandbox's own variable. Running the tests
	// there instead would start a control plane and a capstan per render,
	// each starting more.
	if os.Getenv(childEnv) == "1" || sandbox.IsWorker() {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		cmd := cli.NewRootCommand()
		cmd.SetArgs(os.Args[1:])
		err := cmd.ExecuteContext(ctx)
		stop()
		if err != nil {
			fmt.Fprintln(os.Stderr, "capstan:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	// The tests' own clients log nothing worth reading; without a logger
	// controller-runtime prints a stack trace to say so.
	ctrllog.SetLogger(logr.Discard())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	e, err := testenv.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	capstan.stop(code == 0)
	stop()
	if err := e.Stop(code == 0); err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		if code == 0 {
			code = 1
		}
	}
	os.Exit(code)
}

// server is the package's capstan: its UI's URL and the admin password.
type server struct {
	once     sync.Once
	err      error
	cmd      *exec.Cmd
	exited   chan error
	URL      string
	Password string
	log      string
	// dir holds capstan's log and cache.
	dir string
}

var capstan server

// startCapstan runs `capstan run` against the control plane, once for the
// package, and returns it once its UI answers.
func startCapstan(t *testing.T) *server {
	t.Helper()
	capstan.once.Do(func() { capstan.err = capstan.start() })
	if capstan.err != nil {
		t.Fatalf("start capstan: %v (log: %s)", capstan.err, capstan.log)
	}
	return &capstan
}

func (s *server) start() error {
	ctx := context.Background()
	sch := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(sch); err != nil {
		return err
	}
	if err := v1alpha1.AddToScheme(sch); err != nil {
		return err
	}
	cl, err := client.New(env.Config(), client.Options{Scheme: sch})
	if err != nil {
		return err
	}
	if err := cl.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane}}); err != nil && !apierrors.IsAlreadyExists(err) {
		return err
	}
	addr, err := freeAddress()
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "capstan-ui-test-")
	if err != nil {
		return err
	}
	s.dir = dir
	s.log = filepath.Join(dir, "capstan.log")
	logFile, err := os.Create(s.log)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(os.Args[0], "run", "--kubeconfig", env.Cluster.Kubeconfig, "--namespace", controlPlane,
		"--server-address", addr, "--insecure", "--leader-elect=false",
		"--metrics-bind-address", "0", "--health-probe-bind-address", "127.0.0.1:0",
		"--cache-dir", filepath.Join(dir, "cache"), "--allow-file-repositories", "--git-poll-interval", "1s")
	s.cmd.Env = append(os.Environ(), childEnv+"=1")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return err
	}
	s.exited = make(chan error, 1)
	go func() { s.exited <- s.cmd.Wait(); logFile.Close() }()
	s.URL = "http://" + addr
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(s.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case err := <-s.exited:
			return fmt.Errorf("capstan exited: %v", err)
		case <-time.After(200 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return errors.New("capstan's API did not answer within 2 minutes")
		}
	}
	var secret corev1.Secret
	if err := cl.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: "argocd-initial-admin-secret"}, &secret); err != nil {
		return err
	}
	s.Password = string(secret.Data["password"])
	return nil
}

// stop stops capstan and, when the tests passed, removes its directory;
// a failed run keeps it for its log.
func (s *server) stop(passed bool) {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	if !passed {
		fmt.Fprintln(os.Stderr, "capstan's log kept in", s.log)
		return
	}
	// The Git cache's trees are read-only: make their directories
	// writable before removing them.
	_ = filepath.WalkDir(s.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			_ = os.Chmod(path, 0o755)
		}
		return nil
	})
	if err := os.RemoveAll(s.dir); err != nil {
		fmt.Fprintln(os.Stderr, "remove capstan's directory:", err)
	}
}

// freeAddress is a loopback address for capstan's API; see
// testenv.FreeAddresses.
func freeAddress() (string, error) {
	addrs, err := testenv.FreeAddresses(1)
	if err != nil {
		return "", err
	}
	return addrs[0], nil
}

// kube is a client of the control plane, for what a test sets up or checks
// behind the UI's back.
func kube(t testing.TB) client.Client { return env.Client(t) }

// chromium is the browser's executable: $CHROMIUM, or Debian's chromium
// package, which .ci/run installs.
func chromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium package (.ci/run does) or set $CHROMIUM")
	return ""
}

// viewport is the window the UI is tested (and photographed) at.
var viewport = [2]int{1280, 800}

// browser starts a headless Chromium for the test, with its own profile
// (so its own cookies), and returns a context for chromedp actions.
func browser(t testing.TB) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(viewport[0], viewport[1]),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	// The browser lives as long as the context of its first action.
	ctx, cancelTimeout := context.WithTimeout(ctx, 5*time.Minute)
	t.Cleanup(func() { cancelTimeout(); cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return ctx
}

// run runs chromedp actions in order and fails the test, naming what and
// where the browser was, on an error.
func run(t testing.TB, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		at, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", what, at, err)
	}
}

// read runs one chromedp action that answers a value, such as
// chromedp.Text, and fails the test on an error.
func read[T any](t testing.TB, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		at, _ := chromedp.Run(ctx, chromedp.Location())
		t.Fatalf("%s (at %s): %v", what, at, err)
	}
	return v
}

// css is a CSS selector for chromedp actions.
type css = chromedp.CSS

// login signs in through the login page as user.
func login(t *testing.T, ctx context.Context, s *server, user, password string) {
	t.Helper()
	run(t, ctx, "log in as "+user,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(css(`input[name=username]`)),
		chromedp.SendKeys(css(`input[name=username]`), user),
		chromedp.SendKeys(css(`input[name=password]`), password),
		chromedp.Submit(css(`input[name=password]`)),
		chromedp.WaitVisible(css(`header.top .user`)),
	)
}

// screenshot saves the page as docs/ui/<name>.png when the run was asked
// for screenshots (CAPSTAN_UI_SCREENSHOTS=<dir>, as `make ui-screenshots`
// does), for docs/ui.md.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("CAPSTAN_UI_SCREENSHOTS")
	if dir == "" {
		return
	}
	// Quality 100 makes Chromium answer a PNG; below it, a JPEG.
	png := read(t, ctx, "take a screenshot", chromedp.FullScreenshot(100))
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newApp commits files to a new Git repository and creates an Application
// named name of the default project that deploys them into the namespace
// of the same name; automated syncs it on its own.
func newApp(t *testing.T, name string, files map[string]string, automated bool) (*v1alpha1.Application, *gitserver.Repo) {
	t.Helper()
	repo := gitserver.NewRepo(t, t.TempDir(), name)
	repo.Commit(t, "main", files, "add "+name)
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: name},
		Spec: v1alpha1.ApplicationSpec{
			Project: "default",
			Source:  &v1alpha1.ApplicationSource{RepoURL: repo.URL(), TargetRevision: "main", Path: "."},
			Destination: v1alpha1.ApplicationDestination{
				Server: "https://kubernetes.default.svc", Namespace: name,
			},
			SyncPolicy: &v1alpha1.SyncPolicy{SyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"}},
		},
	}
	if automated {
		app.Spec.SyncPolicy.Automated = &v1alpha1.SyncPolicyAutomated{Prune: true}
	}
	cl := kube(t)
	if err := cl.Create(context.Background(), app); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Delete(context.Background(), app) })
	return app, repo
}

// configMap is a manifest of a ConfigMap, for test repositories.
func configMap(name, value string) string {
	return strings.TrimSpace(fmt.Sprintf(`
apiVersion: v1
kind: ConfigMap
metadata:
  name: %s
data:
  value: %q
`, name, value)) + "\n"
}
