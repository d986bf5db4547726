package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"
	"testing"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

func TestGitErrorClassify(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"auth required", transport.ErrAuthenticationRequired, ErrAuth},
		{"auth failed", fmt.Errorf("x: %w", transport.ErrAuthorizationFailed), ErrAuth},
		{"ssh handshake", errors.New("ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey]"), ErrAuth},
		{"host key", errors.New("ssh: handshake failed: knownhosts: key mismatch"), ErrAuth},
		{"repository not found", transport.ErrRepositoryNotFound, ErrRepositoryNotFound},
		{"refused", &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}, ErrUnreachable},
		{"dns", &net.DNSError{Err: "no such host", Name: "nope.invalid"}, ErrUnreachable},
		{"flattened refused", errors.New("Get \"https://x\": dial tcp 127.0.0.1:1: connect: connection refused"), ErrUnreachable},
		{"other", errors.New("object not found"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := classify(tt.err); got != tt.want {
				t.Errorf("classify(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}

func TestGitErrorScrubs(t *testing.T) {
	repo := Repository{
		URL:         "https://me:urlpass@git.example/repo.git",
		Password:    "hunter2-secret",
		BearerToken: "tok-abcdef",
	}
	raw := errors.New(`GET https://me:urlpass@git.example/repo.git/info/refs: 401 (password hunter2-secret, token tok-abcdef)`)
	err := gitError(repo, "main", raw)
	for _, secret := range []string{"urlpass", "hunter2-secret", "tok-abcdef"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("error %q contains %q", err, secret)
		}
		for e := errors.Unwrap(err); e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("wrapped error %q contains %q", e, secret)
			}
		}
	}
	if !strings.Contains(err.Error(), "https://me@git.example/repo.git") {
		t.Errorf("error %q does not name the repository", err)
	}
	if got := gitError(repo, "main", fmt.Errorf("list: %w", context.Canceled)); !errors.Is(got, context.Canceled) {
		t.Errorf("gitError lost context.Canceled: %v", got)
	}
	if got := gitError(repo, "nope", ErrRevisionNotFound).Error(); got != "repository https://me@git.example/repo.git: revision nope not found" {
		t.Errorf("not-found message = %q", got)
	}
}
