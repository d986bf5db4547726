package server

import (
	"context"
	"io"
	"net"
	"net/http/httptest"
	"testing"
	"time"
)

// The API server leaves streams unbounded, but a webhook request whose
// body stalls is still cut off at the webhook's read timeout.
func TestAPIServerCutsOffSlowWebhookBodies(t *testing.T) {
	h := &Webhook{Secrets: func(context.Context) (WebhookSecrets, error) { return WebhookSecrets{}, nil }, Refresher: &recorder{}}
	api := &API{Webhook: WebhookDeadlines(h, WebhookOptions{ReadTimeout: 300 * time.Millisecond})}
	srv := httptest.NewUnstartedServer(nil)
	srv.Config = NewAPIServer(api.Handler(), nil)
	srv.Start()
	t.Cleanup(srv.Close)
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	partial := "POST /api/webhook HTTP/1.1\r\nHost: x\r\nX-GitHub-Event: push\r\nContent-Length: 1000\r\n\r\n{\"ref\":"
	if _, err := io.WriteString(conn, partial); err != nil {
		t.Fatal(err)
	}
	// Far beyond the read timeout: only a server that never cuts the
	// client off reaches it.
	_ = conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err = io.ReadAll(conn); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatalf("the server still holds the connection of a stalled webhook client")
		}
	}
}
