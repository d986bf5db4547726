package source

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
	"k8s.io/utils/clock"
)

// githubAPI is the API a GitHub App's token is asked of when the
// repository names no GitHub Enterprise Server.
const githubAPI = "https://api.github.com"

// tokenMargin is how long before its expiry an installation token is
// replaced, so that a fetch started with it does not outlive it.
const tokenMargin = 5 * time.Minute

// githubApps exchanges GitHub App credentials for installation tokens and
// keeps each token until shortly before it expires: a token lasts an
// hour, and every request to the repository in between uses it.
type githubApps struct {
	clock clock.PassiveClock
	group singleflight.Group

	mu     sync.Mutex
	tokens map[string]appToken // by the identity of the App credentials
}

type appToken struct {
	value   string
	expires time.Time
}

func newGitHubApps(clk clock.PassiveClock) *githubApps {
	return &githubApps{clock: clk, tokens: map[string]appToken{}}
}

// isGitHubApp reports whether repo authenticates as a GitHub App.
func isGitHubApp(repo Repository) bool {
	return repo.GitHubAppPrivateKey != "" && !isSSHURL(repo.URL)
}

// token is an installation token for repo's App, from the cache while it
// has more than tokenMargin to live. key is the identity of the App
// credentials; api is how the token endpoint is reached (its URL, TLS
// certificates, proxy).
func (a *githubApps) token(ctx context.Context, repo Repository, key string, api Repository) (string, error) {
	if tok, ok := a.cached(key); ok {
		return tok, nil
	}
	v, err, _ := a.group.Do(key, func() (any, error) {
		if tok, ok := a.cached(key); ok {
			return tok, nil
		}
		tok, err := a.issue(ctx, repo, api)
		if err != nil {
			return "", err
		}
		a.mu.Lock()
		a.tokens[key] = tok
		a.mu.Unlock()
		return tok.value, nil
	})
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

func (a *githubApps) cached(key string) (string, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	tok, ok := a.tokens[key]
	if !ok || a.clock.Now().Add(tokenMargin).After(tok.expires) {
		return "", false
	}
	return tok.value, true
}

// issue asks the App's installation token endpoint for a token, signing
// the request with a JSON Web Token made from the App's private key.
func (a *githubApps) issue(ctx context.Context, repo Repository, api Repository) (appToken, error) {
	name := fmt.Sprintf("GitHub App %s installation %s", repo.GitHubAppID, repo.GitHubAppInstallationID)
	if _, err := strconv.ParseInt(repo.GitHubAppInstallationID, 10, 64); err != nil {
		return appToken{}, fmt.Errorf("%s: githubAppInstallationID is not a number: %w", name, ErrAuth)
	}
	jwt, err := appJWT(repo.GitHubAppID, repo.GitHubAppPrivateKey, a.clock.Now())
	if err != nil {
		return appToken{}, fmt.Errorf("%s: %w", name, err)
	}
	endpoint := strings.TrimRight(api.URL, "/") + "/app/installations/" + url.PathEscape(repo.GitHubAppInstallationID) + "/access_tokens"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, nil)
	if err != nil {
		return appToken{}, fmt.Errorf("%s: %w", name, err)
	}
	req.Header.Set("Authorization", "Bearer "+jwt)
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("User-Agent", "capstan")
	t, err := chartTransport(api)
	if err != nil {
		return appToken{}, fmt.Errorf("%s: %w", name, err)
	}
	client := &http.Client{Transport: t, Timeout: time.Minute}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return appToken{}, fmt.Errorf("%s: ask %s for a token: %w", name, RedactURL(endpoint), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return appToken{}, fmt.Errorf("%s: read the token: %w", name, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized, resp.StatusCode == http.StatusForbidden, resp.StatusCode == http.StatusNotFound:
		return appToken{}, fmt.Errorf("%s: %s refused the App credentials (%s): %w", name, RedactURL(endpoint), resp.Status, ErrAuth)
	case resp.StatusCode/100 != 2:
		return appToken{}, fmt.Errorf("%s: %s answered %s", name, RedactURL(endpoint), resp.Status)
	}
	var got struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if err := json.Unmarshal(body, &got); err != nil || got.Token == "" {
		return appToken{}, fmt.Errorf("%s: %s answered no token", name, RedactURL(endpoint))
	}
	return appToken{value: got.Token, expires: got.ExpiresAt}, nil
}

// appJWT is the token that authenticates as the App itself: RS256-signed,
// issued by the App's ID, valid for nine minutes from a minute ago (GitHub
// takes at most ten, and clocks differ).
func appJWT(appID, privateKey string, now time.Time) (string, error) {
	key, err := parseRSAKey(privateKey)
	if err != nil {
		return "", err
	}
	var iss any = appID
	if n, err := strconv.ParseInt(appID, 10, 64); err == nil {
		iss = n
	}
	header, _ := json.Marshal(map[string]string{"alg": "RS256", "typ": "JWT"})
	claims, err := json.Marshal(map[string]any{
		"iat": now.Add(-time.Minute).Unix(),
		"exp": now.Add(9 * time.Minute).Unix(),
		"iss": iss,
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString(header) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign the App token: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}

// parseRSAKey reads githubAppPrivateKey: PKCS #1, as GitHub hands it
// out, or PKCS #8. Its errors never quote the key.
func parseRSAKey(s string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("githubAppPrivateKey is not a PEM private key: %w", ErrAuth)
	}
	if key, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
		return key, nil
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("githubAppPrivateKey is not an RSA private key: %w", ErrAuth)
	}
	key, ok := parsed.(*rsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("githubAppPrivateKey is not an RSA private key: %w", ErrAuth)
	}
	return key, nil
}

// errNoAppAPI is returned for an App whose API URL cannot be used.
var errNoAppAPI = errors.New("githubAppEnterpriseBaseUrl is not an http(s) URL")

// appAPI is how repo's App token endpoint is reached: the Enterprise
// Server's API or GitHub's, with the repository's insecure and proxy
// choices.
func appAPI(repo Repository) (Repository, error) {
	base := githubAPI
	if repo.GitHubAppEnterpriseBaseURL != "" {
		base = repo.GitHubAppEnterpriseBaseURL
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return Repository{}, fmt.Errorf("GitHub App %s: %w", repo.GitHubAppID, errNoAppAPI)
		}
	}
	return Repository{URL: base, Insecure: repo.Insecure, Proxy: repo.Proxy, NoProxy: repo.NoProxy}, nil
}

// appCredentials is the part of repo that names its App installation:
// what a cached token is keyed by.
func appCredentials(repo Repository) Repository {
	return Repository{
		GitHubAppID: repo.GitHubAppID, GitHubAppInstallationID: repo.GitHubAppInstallationID,
		GitHubAppPrivateKey: repo.GitHubAppPrivateKey, GitHubAppEnterpriseBaseURL: repo.GitHubAppEnterpriseBaseURL,
		Insecure: repo.Insecure, Proxy: repo.Proxy, NoProxy: repo.NoProxy,
	}
}

// access is accessFor, a GitHub App's credentials exchanged for an
// installation token first: the token goes as basic auth
// x-access-token:<token>, as GitHub asks.
func (g *Git) access(ctx context.Context, repo Repository) (access, error) {
	if isGitHubApp(repo) {
		api, err := appAPI(repo)
		if err != nil {
			return access{}, err
		}
		api = trusted(api, current(g.opts.Trust))
		tok, err := g.apps.token(ctx, repo, g.ids.of(appCredentials(repo)), api)
		if err != nil {
			return access{}, err
		}
		repo.Username, repo.Password, repo.BearerToken = "x-access-token", tok, ""
	}
	return accessFor(repo)
}
