package install

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// serviceAccountKubeconfig writes a kubeconfig that authenticates as the
// ServiceAccount namespace/name with a token from the TokenRequest API,
// as the token mounted in capstan's Pod would.
func serviceAccountKubeconfig(t *testing.T, namespace, name string) string {
	t.Helper()
	cfg := env.Config()
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := cs.CoreV1().ServiceAccounts(namespace).CreateToken(t.Context(), name, &authenticationv1.TokenRequest{
		Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: ptr.To[int64](3600)},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("token for ServiceAccount %s/%s: %v", namespace, name, err)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["test"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData, InsecureSkipTLSVerify: cfg.Insecure}
	kc.AuthInfos[name] = &clientcmdapi.AuthInfo{Token: tr.Status.Token}
	kc.Contexts["test"] = &clientcmdapi.Context{Cluster: "test", AuthInfo: name, Namespace: namespace}
	kc.CurrentContext = "test"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// capstanProc is `capstan run` out of the cluster, with the flags the
// chart's Deployment gives it, as a child process.
type capstanProc struct {
	// api is the address of its API server (HTTPS).
	api    string
	cmd    *exec.Cmd
	log    string
	exited chan struct{}
}

// capstanBinary builds ./cmd/capstan and its render worker once for the
// package, into the cluster's directory, as the image holds them.
func capstanBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(env.Cluster.Dir, "capstan")
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	build := exec.Command("go", "build", "-o", env.Cluster.Dir+"/", "./cmd/capstan", "./cmd/capstan-render")
	build.Dir = env.Root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/capstan ./cmd/capstan-render: %v\n%s", err, out)
	}
	return bin
}

// startCapstan runs capstan with kubeconfig and the control-plane
// namespace until the test ends; it returns once /readyz answers.
func startCapstan(t *testing.T, kubeconfig, namespace string) *capstanProc {
	t.Helper()
	dir := t.TempDir()
	bin := capstanBinary(t)
	ports := freePorts(t, 3)
	p := &capstanProc{api: ports[0], log: filepath.Join(dir, "capstan.log"), exited: make(chan struct{})}
	logFile, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	// The Deployment's arguments (templates/deployment.yaml), on loopback ports.
	p.cmd = exec.Command(bin, "run", "--kubeconfig", kubeconfig,
		"--namespace="+namespace, "--leader-elect=true", "--workers=10",
		"--server-address="+ports[0], "--health-probe-bind-address="+ports[1], "--metrics-bind-address="+ports[2],
		"--cache-dir="+filepath.Join(dir, "cache"))
	p.cmd.Env = append(os.Environ(), "TMPDIR="+dir)
	p.cmd.Stdout, p.cmd.Stderr = logFile, logFile
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); logFile.Close(); close(p.exited) }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
		if t.Failed() {
			t.Logf("capstan's log:\n%s", p.tail())
		}
	})
	ctx, cancel := context.WithTimeout(t.Context(), bounded)
	defer cancel()
	for {
		if resp, err := http.Get("http://" + ports[1] + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("capstan exited before it was ready:\n%s", p.tail())
		case <-ctx.Done():
			t.Fatalf("capstan not ready: %v\n%s", ctx.Err(), p.tail())
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// tail is the end of capstan's log.
func (p *capstanProc) tail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(bytes.TrimSpace(b))
}

// freePorts returns n loopback addresses nobody listens on now; see
// testenv.FreeAddresses.
func freePorts(t *testing.T, n int) []string {
	t.Helper()
	out, err := testenv.FreeAddresses(n)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bounded is the longest any wait of the package lasts.
const bounded = 90 * time.Second
