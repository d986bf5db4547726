package server

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/session"
)

func TestPickCertificate(t *testing.T) {
	a := map[string][]byte{keyTLSCert: []byte("a.crt"), keyTLSKey: []byte("a.key")}
	b := map[string][]byte{keyTLSCert: []byte("b.crt"), keyTLSKey: []byte("b.key")}
	halfA := map[string][]byte{keyTLSCert: []byte("a.crt")}
	tests := []struct {
		name                    string
		serverTLS, argocdSecret map[string][]byte
		want                    string
	}{
		{"argocd-server-tls first", a, b, "a.crt"},
		{"argocd-secret when argocd-server-tls is missing", nil, b, "b.crt"},
		{"argocd-secret when argocd-server-tls has no key", halfA, b, "b.crt"},
		{"none", halfA, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert, _, ok := pickCertificate(tt.serverTLS, tt.argocdSecret)
			if diff := cmp.Diff(tt.want, string(cert)); diff != "" || ok != (tt.want != "") {
				t.Errorf("certificate (-want +got):\n%s (ok %v)", diff, ok)
			}
		})
	}
}

func TestCertificateGeneratedOnceAndServed(t *testing.T) {
	ctx := t.Context()
	cl := env.Client(t)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "tls-"}}
	if err := cl.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := EnsureCertificate(ctx, cl, cl, ns.Name, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	generated, err := tlsSecret(ctx, cl, ns.Name, session.Secret)
	if err != nil {
		t.Fatal(err)
	}
	certs := &Certificates{Reader: cl, Namespace: ns.Name}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	srv.TLS = certs.TLSConfig()
	srv.StartTLS()
	t.Cleanup(srv.Close)
	if got := served(t, srv.Listener.Addr().String(), generated[keyTLSCert]); !bytes.Equal(got, generated[keyTLSCert]) {
		t.Fatalf("the server does not serve the generated certificate")
	}

	// A certificate in argocd-server-tls wins, at the next connection.
	own, ownKey, err := selfSigned(ns.Name, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	override := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns.Name, Name: ServerTLSSecret},
		Data: map[string][]byte{keyTLSCert: own, keyTLSKey: ownKey}}
	if err := cl.Create(ctx, override); err != nil {
		t.Fatal(err)
	}
	if got := served(t, srv.Listener.Addr().String(), own); !bytes.Equal(got, own) {
		t.Errorf("the server does not serve argocd-server-tls")
	}
	// argocd-secret keeps its certificate: nothing is generated anew.
	if err := EnsureCertificate(ctx, cl, cl, ns.Name, time.Now()); err != nil {
		t.Fatal(err)
	}
	var after corev1.Secret
	if err := cl.Get(ctx, client.ObjectKey{Namespace: ns.Name, Name: session.Secret}, &after); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(after.Data[keyTLSCert], generated[keyTLSCert]) {
		t.Errorf("the generated certificate changed")
	}
}

// served connects to addr as localhost, trusting only root (PEM), and
// returns the certificate the server presented, as PEM.
func served(t *testing.T, addr string, root []byte) []byte {
	t.Helper()
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(root) {
		t.Fatal("no certificate in the PEM")
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool, ServerName: "localhost"})
	if err != nil {
		t.Fatalf("handshake trusting the expected certificate: %v", err)
	}
	defer conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Raw})
}
