package ui_test

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/testenv"
)

// benchAppsEnv sets how many Applications the list's benchmark creates;
// 10,000 unless set.
const benchAppsEnv = "CAPSTAN_BENCH_APPS"

// BenchmarkApplicationsListPage loads the Applications page in Chromium
// with thousands of Applications on the control plane, and reports the
// page's first contentful paint, the bytes it transferred (the page, its
// styles and scripts, uncached) and the server's time to the page's first
// byte, each as the browser's Performance API measures them.
//
// The Applications get their statuses written directly, and only the API
// server runs (`capstan server`, in a namespace of its own): no
// controller competes for the machine.
func BenchmarkApplicationsListPage(b *testing.B) {
	n := 10000
	if v := os.Getenv(benchAppsEnv); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil {
			b.Fatalf("%s=%q: %v", benchAppsEnv, v, err)
		}
	}
	const ns = "bench-apps-list"
	cl := kube(b)
	if err := cl.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		b.Fatal(err)
	}
	if err := testenv.CreateListApps(context.Background(), cl, ns, n); err != nil {
		b.Fatal(err)
	}
	url, password := benchServer(b, ns)
	token := apiLogin(b, &server{URL: url}, "admin", password)
	waitForApps(b, url, token, n)

	ctx := browser(b)
	// Signed in, and every load as a first visit's.
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "argocd.token", Value: token, URL: url}); err != nil {
		b.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		b.Fatal(err)
	}
	var fcp, bytes, ttfb float64
	b.ResetTimer()
	for b.Loop() {
		run(b, ctx, "load the page", chromedp.Navigate(url+"/applications"), chromedp.WaitVisible(css(`.app-tile`)))
		m := read(b, ctx, "measure the page", chromedp.Poll[struct {
			FCP, Bytes, TTFB float64
		}](`(() => {
			const paint = performance.getEntriesByName("first-contentful-paint")[0];
			const nav = performance.getEntriesByType("navigation")[0];
			if (!paint || !nav || nav.loadEventEnd === 0) return null;
			const res = performance.getEntriesByType("resource").filter(r => !r.name.includes("/api/v1/stream/"));
			return {FCP: paint.startTime, TTFB: nav.responseStart - nav.requestStart,
				Bytes: nav.transferSize + res.reduce((s, r) => s + r.transferSize, 0)};
		})()`))
		fcp, bytes, ttfb = fcp+m.FCP, bytes+m.Bytes, ttfb+m.TTFB
	}
	b.StopTimer()
	loads := float64(b.N)
	b.ReportMetric(fcp/loads, "fcp-ms")
	b.ReportMetric(bytes/loads, "bytes")
	b.ReportMetric(ttfb/loads, "server-ms")
	b.ReportMetric(float64(n), "apps")
}

// benchServer runs `capstan server` alone on the control-plane namespace
// ns, and returns its URL and the admin's password once it answers.
func benchServer(b *testing.B, ns string) (string, string) {
	b.Helper()
	addr, err := freeAddress()
	if err != nil {
		b.Fatal(err)
	}
	log, err := os.Create(filepath.Join(b.TempDir(), "capstan.log"))
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "server", "--kubeconfig", env.Cluster.Kubeconfig, "--namespace", ns,
		"--address", addr, "--insecure", "--metrics-bind-address", "0", "--health-probe-bind-address", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), childEnv+"=1")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = cmd.Process.Signal(syscall.SIGTERM); _ = cmd.Wait(); log.Close() })
	url := "http://" + addr
	var secret corev1.Secret
	err = wait.PollUntilContextTimeout(context.Background(), 200*time.Millisecond, 2*time.Minute, true, func(ctx context.Context) (bool, error) {
		resp, err := http.Get(url + "/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK &&
			kube(b).Get(ctx, client.ObjectKey{Namespace: ns, Name: "argocd-initial-admin-secret"}, &secret) == nil, nil
	})
	if err != nil {
		b.Fatalf("capstan server did not answer (log: %s): %v", log.Name(), err)
	}
	return url, string(secret.Data["password"])
}

// waitForApps waits until the API's cache holds all n Applications.
func waitForApps(b *testing.B, url, token string, n int) {
	b.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), time.Second, 5*time.Minute, true, func(context.Context) (bool, error) {
		req, _ := http.NewRequest(http.MethodGet, url+"/api/v1/ui/applications?size=0", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false, nil
		}
		var page struct{ Total int }
		decode(b, resp, &page)
		resp.Body.Close()
		return page.Total == n, nil
	})
	if err != nil {
		b.Fatalf("the API did not list %d Applications: %v", n, err)
	}
}
