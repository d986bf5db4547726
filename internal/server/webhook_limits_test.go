package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	clocktesting "k8s.io/utils/clock/testing"
)

// serve runs h on a real HTTP server of 127.0.0.1 for the test.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// post sends an unsigned GitHub push from the local address from (any
// 127.0.0.0/8 address on Linux; "" lets the system choose) and returns the
// status and body.
func post(t *testing.T, srv *httptest.Server, from string, headers map[string]string) (int, string) {
	t.Helper()
	client := srv.Client()
	if from != "" {
		dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}}
		client = &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
	}
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/api/webhook", strings.NewReader(githubPush))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestWebhookRequireSignature(t *testing.T) {
	github := map[string]string{"X-GitHub-Event": "push"}
	signedGitHub := map[string]string{"X-GitHub-Event": "push", "X-Hub-Signature-256": "sha256=" + sign("gh", githubPush)}
	gitea := map[string]string{"X-Gitea-Event": "push"}
	tests := []struct {
		name     string
		require  bool
		secrets  WebhookSecrets
		headers  map[string]string
		wantCode int
		wantBody string
	}{
		{"unsigned, other provider's secret set, required", true, WebhookSecrets{GitLab: "gl"}, github, 401, "webhook.github.secret is not set"},
		{"unsigned Gitea, required", true, WebhookSecrets{GitHub: "gh"}, gitea, 401, "webhook.gogs.secret is not set"},
		{"signed, required", true, WebhookSecrets{GitHub: "gh"}, signedGitHub, 200, "1 applications refreshed"},
		{"unsigned, no secret at all, required", true, WebhookSecrets{}, github, 200, "1 applications refreshed"},
		{"unsigned, other provider's secret set, not required", false, WebhookSecrets{GitLab: "gl"}, github, 200, "1 applications refreshed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &recorder{}
			h := &Webhook{
				Secrets:   func(context.Context) (WebhookSecrets, error) { return tt.secrets, nil },
				Refresher: rec,
				Options:   WebhookOptions{RequireSignature: tt.require},
			}
			code, body := post(t, serve(t, h), "", tt.headers)
			if code != tt.wantCode || !strings.Contains(body, tt.wantBody) {
				t.Errorf("answer %d %q, want %d containing %q", code, body, tt.wantCode, tt.wantBody)
			}
			if refreshed := len(rec.pushes) == 1; refreshed != (tt.wantCode == 200) {
				t.Errorf("refreshed %d times after answering %d", len(rec.pushes), code)
			}
		})
	}
}

// One source over its rate is refused with 429 and nothing is refreshed,
// while another source goes through; the bucket refills with time.
func TestWebhookRateLimitPerSource(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	rec := &recorder{}
	h := &Webhook{
		Secrets:   func(context.Context) (WebhookSecrets, error) { return WebhookSecrets{}, nil },
		Refresher: rec,
		Options:   WebhookOptions{RateLimit: 1, RateBurst: 2},
		Clock:     clk,
	}
	srv := serve(t, h)
	push := map[string]string{"X-GitHub-Event": "push"}
	var got []int
	for range 3 {
		code, _ := post(t, srv, "127.0.0.1", push)
		got = append(got, code)
	}
	code, _ := post(t, srv, "127.0.0.2", push)
	got = append(got, code)
	clk.SetTime(clk.Now().Add(time.Second))
	code, _ = post(t, srv, "127.0.0.1", push)
	got = append(got, code)
	if diff := cmp.Diff([]int{200, 200, 429, 200, 200}, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if len(rec.pushes) != 4 {
		t.Errorf("%d refreshes, want 4: a refused event refreshes nothing", len(rec.pushes))
	}
}

func TestSourceLimitsBounded(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newSourceLimits(WebhookOptions{RateLimit: 1, RateBurst: 1, MaxSources: 2})
	var got []string
	for _, step := range []struct {
		at     time.Duration
		source string
	}{{0, "a"}, {0, "b"}, {0, "c"}, {0, "a"}, {2 * time.Second, "c"}, {2 * time.Second, "d"}} {
		got = append(got, fmt.Sprintf("%s %v", step.source, l.allow(step.source, now.Add(step.at))))
	}
	want := []string{"a true", "b true", "c false", "a false", "c true", "d true"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("allow (-want +got):\n%s", diff)
	}
	if n := len(l.buckets); n > 2 {
		t.Errorf("%d buckets tracked, bound 2", n)
	}
}

func TestSourceOf(t *testing.T) {
	tests := []struct{ remote, want string }{
		{"192.0.2.7:5555", "192.0.2.7"},
		{"[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64"},
		{"[2001:db8:1:2:ffff::1]:80", "2001:db8:1:2::/64"},
		{"[::ffff:192.0.2.7]:1", "192.0.2.7"},
		{"[fe80::1%eth0]:1", "fe80::/64"},
		{"not an address", "not an address"},
	}
	for _, tt := range tests {
		if got := sourceOf(&http.Request{RemoteAddr: tt.remote}); got != tt.want {
			t.Errorf("sourceOf(%q) = %q, want %q", tt.remote, got, tt.want)
		}
	}
}

// A client that sends its headers, or its body, too slowly is cut off by the
// server's read timeout instead of holding a connection for ever.
func TestWebhookServerCutsOffSlowClients(t *testing.T) {
	h := &Webhook{Secrets: func(context.Context) (WebhookSecrets, error) { return WebhookSecrets{}, nil }, Refresher: &recorder{}}
	srv := NewHTTPServer(h, WebhookOptions{ReadTimeout: 300 * time.Millisecond})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	for name, partial := range map[string]string{
		"slow headers": "POST /api/webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\n",
		"slow body":    "POST /api/webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Length: 1000\r\n\r\n{\"ref\":",
	} {
		t.Run(name, func(t *testing.T) {
			conn, err := net.Dial("tcp", l.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if _, err := io.WriteString(conn, partial); err != nil {
				t.Fatal(err)
			}
			// Far beyond the read timeout: only a server that never cuts
			// the client off reaches it.
			_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
			_, err = io.ReadAll(conn)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the server still holds the connection of a stalled client")
			}
		})
	}
}
