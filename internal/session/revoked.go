package session

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// RevokedSecret, in the control-plane namespace, holds the sessions that
// were logged out: one key per session id (the jti of capstan's token,
// the SHA-256 of an SSO provider's ID token), whose value
// is when the session would have ended anyway (Unix seconds). Every
// replica of the server reads it through its cache, as it reads
// argocd-secret, and so refuses a session logged out on another within
// the latency of its watch.
const RevokedSecret = "capstan-revoked-tokens"

// MaxRevoked bounds the sessions RevokedSecret holds at once, well within
// the 1 MiB a Secret may hold. Sessions leave it when they end.
const MaxRevoked = 10000

// revokedKey is the key of session id jti in RevokedSecret: the id itself
// when it may be a key, else its SHA-256.
func revokedKey(jti string) string {
	if len(validation.IsConfigMapKey(jti)) == 0 {
		return jti
	}
	sum := sha256.Sum256([]byte(jti))
	return "sha256-" + hex.EncodeToString(sum[:])
}

// revoke records in data, RevokedSecret's, that session jti is logged out
// until end, and drops the sessions that have ended by now (and any entry
// that is not a time). It reports whether data changed; it refuses to
// hold more than MaxRevoked sessions.
func revoke(data map[string][]byte, jti string, end, now time.Time) (bool, error) {
	changed := false
	for key, v := range data {
		ends, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil || ends < now.Unix() {
			delete(data, key)
			changed = true
		}
	}
	key := revokedKey(jti)
	if _, ok := data[key]; ok {
		return changed, nil
	}
	if len(data) >= MaxRevoked {
		return false, fmt.Errorf("%s already holds %d logged-out sessions, the most it may until some end", RevokedSecret, len(data))
	}
	data[key] = []byte(strconv.FormatInt(end.Unix(), 10))
	return true, nil
}

// loggedOut reports whether session jti is in st's RevokedSecret.
func (st state) loggedOut(jti string) bool {
	_, ok := st.revoked[revokedKey(jti)]
	return jti != "" && ok
}

// ssoSessionID is the session id of an ID token of the SSO provider: its
// hash, since a provider need not give its tokens a jti.
func ssoSessionID(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "sso-" + hex.EncodeToString(sum[:])
}

// checkSSOSession refuses SSO session sid when it was logged out, as this
// process or the cache's RevokedSecret knows.
func (m *Manager) checkSSOSession(ctx context.Context, sid string) error {
	m.mu.Lock()
	_, out := m.loggedOut[sid]
	m.mu.Unlock()
	revoked, err := m.readRevoked(ctx, m.opts.Client)
	if err != nil {
		return err
	}
	if out || (state{revoked: revoked}).loggedOut(sid) {
		return errors.New("session logged out")
	}
	return nil
}

// readRevoked is the data of RevokedSecret read through r, empty when it
// is missing.
func (m *Manager) readRevoked(ctx context.Context, r client.Reader) (map[string][]byte, error) {
	var revoked corev1.Secret
	err := r.Get(ctx, client.ObjectKey{Namespace: m.opts.Namespace, Name: RevokedSecret}, &revoked)
	if err != nil && !apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("read %s/%s: %w", m.opts.Namespace, RevokedSecret, err)
	}
	return revoked.Data, nil
}
