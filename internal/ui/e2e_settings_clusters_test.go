package ui_test

import (
	"context"
	"net"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestSettingsClusterConnection shows the in-cluster destination with
// the control plane's version and a Successful connection, and a cluster
// whose server is a closed port as Failed with a message naming it, on
// the clusters page and on each cluster's page.
func TestSettingsClusterConnection(t *testing.T) {
	s := startCapstan(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "https://" + ln.Addr().String()
	ln.Close()
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: "uiset-closed",
			Labels: map[string]string{"argocd.argoproj.io/secret-type": "cluster"}},
		StringData: map[string]string{"name": "uiset-closed", "server": closed, "config": `{"tlsClientConfig":{"insecure":true}}`},
	}
	if err := kube(t).Create(context.Background(), sec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube(t).Delete(context.Background(), sec) })
	ctx := settingsBrowser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the clusters", chromedp.Navigate(s.URL+"/settings/clusters"), chromedp.WaitVisible(css(`#clusters`)))
	rows := read(t, ctx, "the rows", chromedp.Evaluate[map[string][]string](`Object.fromEntries([...document.querySelectorAll("#clusters tbody tr")]
		.map(r => [...r.querySelectorAll("td")].map(td => td.textContent.trim())).filter(c => c.length > 1).map(c => [c[1], c]))`))
	in := rows["https://kubernetes.default.svc"]
	if len(in) < 5 || !strings.HasPrefix(in[2], "v1.37.") || !strings.Contains(in[3], "Successful") {
		t.Errorf("the in-cluster destination is listed as %q, want the control plane's v1.37.x and Successful", in)
	}
	bad := rows[closed]
	if len(bad) < 5 || bad[2] != "—" || !strings.Contains(bad[3], "Failed") || !strings.Contains(bad[3], "uiset-closed") {
		t.Errorf("the cluster at a closed port is listed as %q, want no version and Failed naming it", bad)
	}

	run(t, ctx, "open the in-cluster destination", chromedp.Click(css(`#clusters a[href*="kubernetes.default.svc"]`)), chromedp.WaitVisible(css(`#cluster-conn`)))
	if got := read(t, ctx, "the fields", chromedp.Text(css(`#cluster-fields`))); !strings.Contains(got, "v1.37.") {
		t.Errorf("the in-cluster page shows %q, without the control plane's version", got)
	}
	if got := read(t, ctx, "the connection", chromedp.Text(css(`#cluster-conn`))); !strings.Contains(got, "Successful") || !strings.Contains(got, "checked") {
		t.Errorf("the in-cluster connection shows %q, want Successful and when it was checked", got)
	}
	run(t, ctx, "open the closed cluster", chromedp.Navigate(s.URL+"/settings/clusters/"+url.PathEscape(closed)), chromedp.WaitVisible(css(`#cluster-conn`)))
	if got := read(t, ctx, "the connection", chromedp.Text(css(`#cluster-conn`))); !strings.Contains(got, "Failed") || !strings.Contains(got, "uiset-closed") || !strings.Contains(got, closed) {
		t.Errorf("the closed cluster's connection shows %q, want Failed naming the cluster and its server", got)
	}
	screenshot(t, ctx, "settings-cluster-failed")
}
