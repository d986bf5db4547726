package session

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// RevokedSecret, in the control-plane namespace, holds the sessions that
// were logged out: one key per session id (the token's jti), whose value
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
