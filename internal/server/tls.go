package server

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/session"
)

// ServerTLSSecret is the Secret whose tls.crt and tls.key, when set, the
// API serves in preference to those of argocd-secret, as in Argo CD.
const ServerTLSSecret = "argocd-server-tls"

// The keys of a certificate and its key, in both Secrets.
const (
	keyTLSCert = "tls.crt"
	keyTLSKey  = "tls.key"
)

// certificateValidity is how long a generated certificate lasts.
const certificateValidity = 365 * 24 * time.Hour

// pickCertificate is the certificate and key to serve: those of
// argocd-server-tls when it holds both, else those of argocd-secret.
func pickCertificate(serverTLS, argocdSecret map[string][]byte) (cert, key []byte, ok bool) {
	for _, data := range []map[string][]byte{serverTLS, argocdSecret} {
		if len(data[keyTLSCert]) > 0 && len(data[keyTLSKey]) > 0 {
			return data[keyTLSCert], data[keyTLSKey], true
		}
	}
	return nil, nil, false
}

// EnsureCertificate writes a self-signed certificate into argocd-secret
// (tls.crt, tls.key) when neither argocd-server-tls nor argocd-secret
// holds one, and otherwise leaves both alone. It reads through r and
// writes through c.
func EnsureCertificate(ctx context.Context, c client.Client, r client.Reader, namespace string, now time.Time) error {
	serverTLS, err := tlsSecret(ctx, r, namespace, ServerTLSSecret)
	if err != nil {
		return err
	}
	if _, _, ok := pickCertificate(serverTLS, nil); ok {
		return nil
	}
	return session.UpdateSecret(ctx, c, r, namespace, func(data map[string][]byte) (bool, error) {
		if _, _, ok := pickCertificate(nil, data); ok {
			return false, nil
		}
		cert, key, err := selfSigned(namespace, now)
		if err != nil {
			return false, err
		}
		data[keyTLSCert], data[keyTLSKey] = cert, key
		return true, nil
	})
}

// selfSigned makes a certificate for the names the server is reached by
// in a cluster and on the local machine.
func selfSigned(namespace string, now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	var names []string
	for _, svc := range []string{"argocd-server", "capstan"} {
		names = append(names, svc, svc+"."+namespace, svc+"."+namespace+".svc")
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{Organization: []string{"capstan"}, CommonName: "capstan"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certificateValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              append([]string{"localhost"}, names...),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("make the server certificate: %w", err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), nil
}

// Certificates serves the API's certificate, read at each handshake
// through Reader (the informer cache), so that a certificate put into
// argocd-server-tls or argocd-secret is served without a restart.
type Certificates struct {
	Reader    client.Reader
	Namespace string

	mu     sync.Mutex
	pemKey []byte // the certificate and key last parsed
	cert   *tls.Certificate
}

// TLSConfig is a server configuration that serves c.
func (c *Certificates) TLSConfig() *tls.Config {
	return &tls.Config{MinVersion: tls.VersionTLS12, GetCertificate: c.GetCertificate}
}

// GetCertificate is tls.Config.GetCertificate.
func (c *Certificates) GetCertificate(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
	ctx := hello.Context()
	serverTLS, err := tlsSecret(ctx, c.Reader, c.Namespace, ServerTLSSecret)
	if err != nil {
		return nil, err
	}
	argocdSecret, err := tlsSecret(ctx, c.Reader, c.Namespace, session.Secret)
	if err != nil {
		return nil, err
	}
	certPEM, keyPEM, ok := pickCertificate(serverTLS, argocdSecret)
	if !ok {
		return nil, errors.New("no server certificate in " + ServerTLSSecret + " or " + session.Secret)
	}
	both := append(append([]byte{}, certPEM...), keyPEM...)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cert != nil && bytes.Equal(both, c.pemKey) {
		return c.cert, nil
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("server certificate: %w", err)
	}
	c.pemKey, c.cert = both, &cert
	return c.cert, nil
}

// tlsSecret is the data of Secret name, empty when it is missing.
func tlsSecret(ctx context.Context, r client.Reader, namespace, name string) (map[string][]byte, error) {
	var s corev1.Secret
	err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, &s)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s/%s: %w", namespace, name, err)
	}
	return s.Data, nil
}
