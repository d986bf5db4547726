package gitserver

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/testenv/testca"
)

// GitHubApp plays GitHub's installation token endpoint for one App
// installation, POST /app/installations/<id>/access_tokens: it verifies
// the request's JSON Web Token against the App's public key and answers
// a fresh token, which the Git server it belongs to then accepts as basic
// auth x-access-token:<token> until it expires.
type GitHubApp struct {
	// URL is the API's base URL, what githubAppEnterpriseBaseUrl names.
	URL string
	// AppID and InstallationID name the installation.
	AppID, InstallationID string
	// PrivateKey is the App's PEM (PKCS #1) private key.
	PrivateKey string
	// TTL is how long an issued token lasts; an hour, as on GitHub.
	TTL time.Duration
	// Now is the endpoint's and the Git server's clock; time.Now unless
	// the test replaces it before the first request.
	Now func() time.Time

	public *rsa.PublicKey
	mu     sync.Mutex
	issued int
	tokens map[string]time.Time // token to expiry
}

// NewGitHubApp starts the token endpoint of a new App installed with
// access to the server's repositories: over HTTPS with a certificate from
// ca, or plain HTTP when ca is nil. It stops when the test ends.
func (s *HTTPServer) NewGitHubApp(t testing.TB, ca *testca.CA) *GitHubApp {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	a := &GitHubApp{
		AppID:          "123456",
		InstallationID: "7890",
		PrivateKey:     string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})),
		TTL:            time.Hour,
		Now:            time.Now,
		public:         &key.PublicKey,
		tokens:         map[string]time.Time{},
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(a.serve))
	if ca != nil {
		srv.TLS = ca.ServerTLS(t, nil)
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	a.URL = srv.URL + "/api/v3"
	s.app.Store(a)
	return a
}

// Issued is how many tokens the endpoint gave out.
func (a *GitHubApp) Issued() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.issued
}

func (a *GitHubApp) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != "/api/v3/app/installations/"+a.InstallationID+"/access_tokens" {
		http.Error(w, `{"message":"Not Found"}`, http.StatusNotFound)
		return
	}
	jwt, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		http.Error(w, `{"message":"A JSON web token could not be decoded"}`, http.StatusUnauthorized)
		return
	}
	if err := a.verify(jwt); err != nil {
		http.Error(w, fmt.Sprintf(`{"message":%q}`, err.Error()), http.StatusUnauthorized)
		return
	}
	buf := make([]byte, 18)
	_, _ = rand.Read(buf)
	token := "ghs_" + base64.RawURLEncoding.EncodeToString(buf)
	expires := a.Now().Add(a.TTL).UTC().Truncate(time.Second)
	a.mu.Lock()
	a.issued++
	a.tokens[token] = expires
	a.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]string{"token": token, "expires_at": expires.Format(time.RFC3339)})
}

// verify checks the App's token as GitHub does: RS256 under the App's
// key, issued by the App, at most ten minutes long, not issued in the
// future and not expired.
func (a *GitHubApp) verify(jwt string) error {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return fmt.Errorf("not a JSON web token")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	var claims struct {
		Iat, Exp int64
		Iss      json.Number
	}
	for i, into := range []any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, into) != nil {
			return fmt.Errorf("part %d does not decode", i+1)
		}
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		return fmt.Errorf("signature does not decode")
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if header.Alg != "RS256" || rsa.VerifyPKCS1v15(a.public, crypto.SHA256, sum[:], sig) != nil {
		return fmt.Errorf("signature not made with the App's key")
	}
	now := a.Now().Unix()
	switch {
	case claims.Iss.String() != a.AppID:
		return fmt.Errorf("issuer %q is not the App", claims.Iss)
	case claims.Iat > now+30 || claims.Exp <= now:
		return fmt.Errorf("token not valid now")
	case claims.Exp-claims.Iat > 600:
		return fmt.Errorf("token lasts more than ten minutes")
	}
	return nil
}

// valid reports whether token was issued and has not expired.
func (a *GitHubApp) valid(token string) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	exp, ok := a.tokens[token]
	return ok && a.Now().Before(exp)
}
