package source

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// ChartError is a failed chart operation. Its message names the chart, the
// version asked for and the repository (without credentials); it never
// contains a password or token. It wraps one of ErrRevisionNotFound,
// ErrAuth, ErrUnreachable or ErrRepositoryNotFound when the failure is one
// of those.
type ChartError struct {
	// Repository is the repository's URL without credentials.
	Repository string
	// Chart is the chart's name.
	Chart string
	// Version is the version or constraint asked for, if any.
	Version string
	// Kind is one of the Err* sentinels, or nil.
	Kind error
	// cause is the underlying failure, with credentials scrubbed from its text.
	cause error
}

func (e *ChartError) Error() string {
	var b strings.Builder
	subject := "chart " + e.Chart
	if e.Version != "" {
		subject += " version " + e.Version
	}
	switch e.Kind {
	case ErrRevisionNotFound:
		fmt.Fprintf(&b, "%s not found in %s", subject, e.Repository)
	case ErrAuth:
		fmt.Fprintf(&b, "%s: authentication failed for %s", subject, e.Repository)
	case ErrUnreachable:
		fmt.Fprintf(&b, "%s: %s unreachable", subject, e.Repository)
	case ErrRepositoryNotFound:
		fmt.Fprintf(&b, "%s: repository %s not found", subject, e.Repository)
	default:
		fmt.Fprintf(&b, "%s from %s", subject, e.Repository)
	}
	if e.cause != nil {
		fmt.Fprintf(&b, ": %s", e.cause.Error())
	}
	return b.String()
}

// Unwrap exposes the kind and, for context errors, the context's error.
func (e *ChartError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.cause != nil {
		errs = append(errs, e.cause)
	}
	return errs
}

// chartError builds the error for a failed operation on chart at version
// in loc: kind classifies it, and every credential of repo is scrubbed
// from the cause's text.
func chartError(repo Repository, loc chartLocation, version string, kind, err error) error {
	var ce *ChartError
	if errors.As(err, &ce) {
		return err
	}
	e := &ChartError{Repository: loc.String(), Chart: loc.Chart, Version: version, Kind: kind}
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		e.cause = context.Canceled
	case errors.Is(err, context.DeadlineExceeded):
		e.cause = context.DeadlineExceeded
	default:
		e.cause = errors.New(scrub(err.Error(), repo))
	}
	return e
}

// httpStatusError is an HTTP answer other than 200 OK.
type httpStatusError struct {
	URL    string // without credentials
	Status string
	Code   int
}

func (e *httpStatusError) Error() string { return fmt.Sprintf("GET %s: %s", e.URL, e.Status) }

// classifyHTTP maps a failed download to a sentinel: a refused credential,
// an unreachable server, or notFound (what a 404 means for this request).
func classifyHTTP(err, notFound error) error {
	var se *httpStatusError
	if errors.As(err, &se) {
		return statusKind(se.Code, notFound)
	}
	return classify(err)
}

// statusKind maps an HTTP status to a sentinel, or nil.
func statusKind(code int, notFound error) error {
	switch code {
	case http.StatusUnauthorized, http.StatusForbidden:
		return ErrAuth
	case http.StatusNotFound:
		return notFound
	}
	return nil
}
