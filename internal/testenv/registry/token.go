package registry

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The token service's names, which the registry checks in each token.
const (
	tokenService = "capstan-test-registry"
	tokenIssuer  = "capstan-test-token-service"
)

// tokenServer issues the bearer tokens of the registry's token
// authentication: it checks the user's basic credentials and grants
// every scope asked for, in a JWT signed with a key whose certificate the
// registry trusts.
type tokenServer struct {
	url            string
	user, password string
	key            *ecdsa.PrivateKey
	issued         atomic.Int64
}

// startTokenServer serves tokens for the test and writes the certificate
// the registry verifies them with to certFile.
func startTokenServer(t testing.TB, user, password, certFile string) (*tokenServer, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate token key: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: tokenIssuer},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("create token certificate: %w", err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return nil, fmt.Errorf("write token certificate: %w", err)
	}
	ts := &tokenServer{user: user, password: password, key: key}
	srv := httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(srv.Close)
	ts.url = srv.URL + "/token"
	return ts, nil
}

func (ts *tokenServer) serve(w http.ResponseWriter, r *http.Request) {
	u, p, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(ts.user)) != 1 ||
		subtle.ConstantTimeCompare([]byte(p), []byte(ts.password)) != 1 {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	type access struct {
		Type    string   `json:"type"`
		Name    string   `json:"name"`
		Actions []string `json:"actions"`
	}
	var granted []access
	for _, scope := range r.URL.Query()["scope"] {
		// type:name:actions, where the name may hold a port's colon.
		first, last := strings.Index(scope, ":"), strings.LastIndex(scope, ":")
		if first < 0 || first == last {
			continue
		}
		granted = append(granted, access{Type: scope[:first], Name: scope[first+1 : last], Actions: strings.Split(scope[last+1:], ",")})
	}
	now := time.Now()
	token, err := ts.sign(map[string]any{
		"iss": tokenIssuer, "sub": u, "aud": tokenService,
		"exp": now.Add(5 * time.Minute).Unix(), "nbf": now.Add(-time.Minute).Unix(), "iat": now.Unix(),
		"jti": fmt.Sprint(ts.issued.Add(1)), "access": granted,
	})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"token": token, "expires_in": 300, "issued_at": now.Format(time.RFC3339)})
}

// sign makes an ES256 JWT whose key ID is the key's RFC 7638 thumbprint,
// which the registry finds among the keys of its certificates.
func (ts *tokenServer) sign(claims map[string]any) (string, error) {
	pub := ts.key.PublicKey
	jwk := fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"%s","y":"%s"}`,
		base64.RawURLEncoding.EncodeToString(pub.X.Bytes()), base64.RawURLEncoding.EncodeToString(pub.Y.Bytes()))
	thumb := sha256.Sum256([]byte(jwk))
	header, _ := json.Marshal(map[string]string{"alg": "ES256", "typ": "JWT", "kid": base64.RawURLEncoding.EncodeToString(thumb[:])})
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signing := base64.RawURLEncoding.EncodeToString(header) + "." + base64.RawURLEncoding.EncodeToString(payload)
	digest := sha256.Sum256([]byte(signing))
	r, s, err := ecdsa.Sign(rand.Reader, ts.key, digest[:])
	if err != nil {
		return "", err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig), nil
}
