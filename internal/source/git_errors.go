package source

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/go-git/go-git/v5/plumbing/transport"
)

// Errors a caller of Git can branch on with errors.Is. Each *GitError wraps
// exactly one of them, or none when the failure fits no class.
var (
	// ErrRevisionNotFound: the repository answered but has no such branch,
	// tag or commit.
	ErrRevisionNotFound = errors.New("revision not found")
	// ErrAuth: the server rejected the credentials, or asked for some and
	// none were given, or the SSH host key could not be verified.
	ErrAuth = errors.New("authentication failed")
	// ErrUnreachable: the server could not be reached (refused, unresolvable,
	// timed out).
	ErrUnreachable = errors.New("repository unreachable")
	// ErrRepositoryNotFound: the server answered that there is no repository
	// at that URL.
	ErrRepositoryNotFound = errors.New("repository not found")
	// ErrFileRepositoryRefused: the repository is on the controller's own
	// disk (file:// or a local path) and the operator has not allowed those.
	ErrFileRepositoryRefused = errors.New("file repositories are not allowed")
)

// GitError is a failed Git operation on one repository. Its message names the
// repository (without credentials) and the revision; it never contains a
// password, token or key.
type GitError struct {
	// URL is the repository URL with any password removed.
	URL string
	// Revision is the revision asked for, if any.
	Revision string
	// Kind is one of the Err* sentinels, or nil.
	Kind error
	// cause is the underlying failure, with credentials scrubbed from its text.
	cause error
}

func (e *GitError) Error() string {
	var b strings.Builder
	switch e.Kind {
	case ErrRevisionNotFound:
		fmt.Fprintf(&b, "repository %s: revision %s not found", e.URL, e.Revision)
	case ErrAuth:
		fmt.Fprintf(&b, "authentication failed for %s", e.URL)
	case ErrUnreachable:
		fmt.Fprintf(&b, "repository %s unreachable", e.URL)
	case ErrRepositoryNotFound:
		fmt.Fprintf(&b, "repository %s not found", e.URL)
	case ErrFileRepositoryRefused:
		fmt.Fprintf(&b, "repository %s: %s", e.URL, fileRefusedHint)
	default:
		fmt.Fprintf(&b, "repository %s", e.URL)
		if e.Revision != "" {
			fmt.Fprintf(&b, ": revision %s", e.Revision)
		}
	}
	if c := e.causeText(); c != "" {
		fmt.Fprintf(&b, ": %s", c)
	}
	return b.String()
}

// causeText is the cause's text without what the kind already says.
func (e *GitError) causeText() string {
	if e.cause == nil {
		return ""
	}
	c := strings.TrimRight(strings.TrimSpace(e.cause.Error()), ":")
	if e.Kind != nil {
		c = strings.TrimSpace(strings.TrimPrefix(c, e.Kind.Error()+":"))
		if c == e.Kind.Error() {
			return ""
		}
	}
	return c
}

// Unwrap exposes the kind and, for context errors, the context's error.
func (e *GitError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// gitError builds the error returned for a failed operation on repo at
// revision: it classifies err and scrubs every credential from its text.
func gitError(repo Repository, revision string, err error) error {
	if err == nil {
		return nil
	}
	var ge *GitError
	if errors.As(err, &ge) {
		return err
	}
	e := &GitError{URL: RedactURL(repo.URL), Revision: revision, Kind: classify(err)}
	switch {
	case err == e.Kind:
		// The kind says it all.
	case errors.Is(err, context.Canceled):
		e.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.cause = context.DeadlineExceeded
	default:
		e.cause = &scrubbedError{msg: scrub(err.Error(), repo), orig: err}
	}
	return e
}

// scrubbedError is a failure whose text had credentials removed. It answers
// errors.Is like the original but does not unwrap to it, so the original
// text cannot be reached.
type scrubbedError struct {
	msg  string
	orig error
}

func (e *scrubbedError) Error() string        { return e.msg }
func (e *scrubbedError) Is(target error) bool { return errors.Is(e.orig, target) }

// notFound is the error for a revision the repository does not have.
func notFound(repo Repository, revision string) error {
	return &GitError{URL: RedactURL(repo.URL), Revision: revision, Kind: ErrRevisionNotFound}
}

// classify maps a go-git or network failure to one of the sentinels.
func classify(err error) error {
	switch {
	case errors.Is(err, ErrRevisionNotFound):
		return ErrRevisionNotFound
	case errors.Is(err, ErrAuth):
		return ErrAuth
	case errors.Is(err, ErrUnreachable):
		return ErrUnreachable
	case errors.Is(err, ErrRepositoryNotFound):
		return ErrRepositoryNotFound
	case errors.Is(err, transport.ErrAuthenticationRequired),
		errors.Is(err, transport.ErrAuthorizationFailed),
		errors.Is(err, transport.ErrInvalidAuthMethod):
		return ErrAuth
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return ErrRepositoryNotFound
	case errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EHOSTUNREACH),
		errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.ECONNRESET):
		return ErrUnreachable
	}
	var dnsErr *net.DNSError
	var opErr *net.OpError
	if errors.As(err, &dnsErr) || errors.As(err, &opErr) {
		return ErrUnreachable
	}
	// go-git flattens some transport errors into text.
	msg := strings.ToLower(err.Error())
	for _, m := range []string{"unable to authenticate", "knownhosts:", "known_hosts", "host key", "authentication required", "authorization failed"} {
		if strings.Contains(msg, m) {
			return ErrAuth
		}
	}
	for _, m := range []string{"connection refused", "no such host", "i/o timeout", "network is unreachable", "connection reset", "eof"} {
		if strings.Contains(msg, m) {
			return ErrUnreachable
		}
	}
	return nil
}

// scrub removes from msg every credential of repo and every URL password.
func scrub(msg string, repo Repository) string {
	for _, secret := range []string{repo.Password, repo.BearerToken, repo.SSHPrivateKey, repo.TLSClientCertKey, repo.GitHubAppPrivateKey} {
		if len(secret) >= 1 {
			msg = strings.ReplaceAll(msg, secret, "******")
		}
	}
	return stripPasswords(msg)
}
