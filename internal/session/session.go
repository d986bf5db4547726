// Package session is capstan's identity: the local accounts of argocd-cm
// and argocd-secret, their bcrypt passwords, the JWT sessions and API
// tokens signed with server.secretkey, the lockout of repeated login
// failures, and the first-start material (server.secretkey and the
// initial admin password). It keeps Argo CD's keys and token claims, so
// an installation moving from Argo CD keeps its users and their tokens.
package session

import (
	"errors"
	"sync"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The objects and keys of identity, as Argo CD names them.
const (
	// ConfigMap holds the accounts (argocd-cm).
	ConfigMap = "argocd-cm"
	// Secret holds passwords, tokens and the signing key (argocd-secret).
	Secret = "argocd-secret"
	// InitialAdminSecret holds the first admin password in key "password".
	InitialAdminSecret = "argocd-initial-admin-secret"
	// KeySecretKey is the key of argocd-secret that signs sessions.
	KeySecretKey = "server.secretkey"
	// KeySessionDuration is the argocd-cm key for how long a login lasts.
	KeySessionDuration = "users.session.duration"
	// KeyPasswordPattern is the argocd-cm key new passwords must match.
	KeyPasswordPattern = "passwordPattern"
	// Admin is the built-in account.
	Admin = "admin"
	// Issuer is the iss claim of capstan's own tokens.
	Issuer = "argocd"
)

// Defaults, as in Argo CD.
const (
	DefaultSessionDuration = 24 * time.Hour
	DefaultPasswordPattern = `^.{8,32}$`
)

// Typed errors a caller branches on.
var (
	// ErrInvalidCredentials is a wrong user name or password; which of
	// the two is not told.
	ErrInvalidCredentials = errors.New("invalid username or password")
	// ErrLocked is a login refused because of too many recent failures.
	ErrLocked = errors.New("too many failed login attempts; try again later")
	// ErrNoAccount is an account that does not exist.
	ErrNoAccount = errors.New("no such account")
	// ErrNoToken is an API token the account does not hold.
	ErrNoToken = errors.New("no such token")
	// ErrInvalid is a request that cannot be met as asked: a token id
	// already taken, a missing capability, a password that does not
	// match passwordPattern.
	ErrInvalid = errors.New("invalid request")
)

// Options configure a Manager.
type Options struct {
	// Namespace is the control-plane namespace.
	Namespace string
	// Client writes argocd-secret and reads it and argocd-cm on each
	// request; in the server it is the informer cache.
	Client client.Client
	// Reader reads what a write is based on (login, password change,
	// tokens, first start), so that it never acts on a stale copy. Nil
	// means Client.
	Reader client.Reader
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Lockout bounds login failures.
	Lockout LockoutPolicy
}

// Manager signs in local accounts and checks their tokens.
type Manager struct {
	opts      Options
	failures  *failures
	providers providers

	// mu guards what this process revoked or changed itself, so that a
	// change is in force at once even while the cache lags behind.
	mu         sync.Mutex
	loggedOut  map[string]time.Time // jti → expiry
	mtimes     map[string]time.Time // account → password change
	deletedIDs map[string]bool      // account + "/" + token id
}

// New returns a Manager.
func New(opts Options) *Manager {
	if opts.Reader == nil {
		opts.Reader = opts.Client
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Manager{
		opts:       opts,
		failures:   newFailures(opts.Lockout.withDefaults()),
		loggedOut:  map[string]time.Time{},
		mtimes:     map[string]time.Time{},
		deletedIDs: map[string]bool{},
	}
}

func (m *Manager) now() time.Time { return m.opts.Now() }

// Identity is who a token speaks for.
type Identity struct {
	// Subject is the account name (or the SSO subject).
	Subject string
	// Groups are the SSO groups; none for local accounts.
	Groups []string
	// Issuer is Issuer for local accounts, the provider's for SSO.
	Issuer string
	// TokenID is the id of an API token; empty for a login session.
	TokenID string
	// ExpiresAt is when the token ends; zero for never.
	ExpiresAt time.Time
	// Claims are every claim of an SSO ID token, from which RBAC's scopes
	// pick a user's groups; nil for capstan's own tokens.
	Claims map[string]any
}
