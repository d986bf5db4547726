package session

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// timeFormat is how argocd-secret writes passwordMtime.
const timeFormat = time.RFC3339

// apiKeySuffix marks the subject of an API token, "<name>:apiKey", as
// Argo CD writes it; a login session's subject is the bare name (Argo CD
// 2.x wrote "<name>:login", which is accepted too).
const apiKeySuffix = ":" + CapabilityAPIKey

// claims are the claims of capstan's tokens.
type claims struct {
	jwt.RegisteredClaims
	Groups []string `json:"groups,omitempty"`
}

// sign returns a token for subject issued at iat, ending at exp (zero for
// never), with id jti, signed with key.
func sign(key []byte, subject, jti string, iat, exp time.Time) (string, error) {
	c := claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:   Issuer,
		Subject:  subject,
		IssuedAt: jwt.NewNumericDate(iat),
		ID:       jti,
	}}
	if !exp.IsZero() {
		c.ExpiresAt = jwt.NewNumericDate(exp)
	}
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(key)
	if err != nil {
		return "", fmt.Errorf("sign a token for %s: %w", subject, err)
	}
	return s, nil
}

// parse checks the signature, issuer and times of a capstan token and
// returns its claims.
func parse(key []byte, token string, now time.Time) (claims, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return key, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(Issuer),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithLeeway(time.Second),
	)
	if err != nil {
		return c, fmt.Errorf("parse token: %w", err)
	}
	if c.Subject == "" || c.IssuedAt == nil {
		return c, errors.New("parse token: no subject or issue time")
	}
	return c, nil
}

// subjectAccount splits a token subject into the account and whether the
// token is an API token.
func subjectAccount(sub string) (name string, apiKey bool) {
	if name, ok := strings.CutSuffix(sub, apiKeySuffix); ok {
		return name, true
	}
	name, _ = strings.CutSuffix(sub, ":"+CapabilityLogin)
	return name, false
}

// issuer is the unverified iss claim of a token, to choose how to verify
// it: capstan's own or an SSO provider's.
func issuer(token string) string {
	var c jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return ""
	}
	return c.Issuer
}
