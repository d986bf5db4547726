package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiClient calls capstan's REST API: over the network, or, with --core, a
// server run inside the client process (see client_core.go). Either way
// a command sees the same requests and answers.
type apiClient struct {
	// base is the server's URL, scheme and host only.
	base *url.URL
	// token is sent as a bearer token when not empty.
	token string
	http  *http.Client
}

// apiError is an error answer of the API.
type apiError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("%s %s: %s (%d %s)", e.Method, e.Path, e.Message, e.Status, http.StatusText(e.Status))
}

// isNotFound reports whether err is the API's 404.
func isNotFound(err error) bool {
	var e *apiError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// isConflict reports whether err is the API's 409.
func isConflict(err error) bool {
	var e *apiError
	return errors.As(err, &e) && e.Status == http.StatusConflict
}

// retryConflict runs a read-change-write until it does not meet a
// conflict, five times at most: the server reads from a cache that may lag
// behind the last write.
func retryConflict(ctx context.Context, fn func() error) error {
	for attempt := 1; ; attempt++ {
		err := fn()
		if !isConflict(err) || attempt == 5 {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
	}
}

// isForbidden reports whether err is the API's 403.
func isForbidden(err error) bool {
	var e *apiError
	return errors.As(err, &e) && e.Status == http.StatusForbidden
}

// serverURL turns what a user types (host:port, or a URL) into the
// server's base URL.
func serverURL(server string, plaintext bool) (*url.URL, error) {
	if server == "" {
		return nil, errors.New("no server given")
	}
	if !strings.Contains(server, "://") {
		scheme := "https"
		if plaintext {
			scheme = "http"
		}
		server = scheme + "://" + server
	}
	u, err := url.Parse(server)
	if err != nil {
		return nil, fmt.Errorf("server %q: %w", server, err)
	}
	if u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return nil, fmt.Errorf("server %q: want host:port or an http(s) URL", server)
	}
	return &url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimSuffix(u.Path, "/")}, nil
}

// request builds a request of the API; body, when not nil, is sent as
// JSON.
func (c *apiClient) request(ctx context.Context, method, path string, query url.Values, body any) (*http.Request, error) {
	// path is escaped already (pathEscape): parse it, so that an escaped
	// slash in a name stays escaped.
	u, err := url.Parse(c.base.String() + path)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	u.RawQuery = query.Encode()
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode the body of %s %s: %w", method, path, err)
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	return req, nil
}

// do sends a request and decodes a successful answer into out, when out is
// not nil. An error answer becomes an *apiError with the server's message.
func (c *apiClient) do(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := c.send(ctx, method, path, query, body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: decode the answer: %w", method, path, err)
	}
	return nil
}

// send sends a request and returns a successful answer; the caller closes
// its body.
func (c *apiClient) send(ctx context.Context, method, path string, query url.Values, body any) (*http.Response, error) {
	req, err := c.request(ctx, method, path, query, body)
	if err != nil {
		return nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, &apiError{Method: method, Path: path, Status: resp.StatusCode, Message: errorMessage(data)}
}

// errorMessage is the message of an error answer: the gateway shape's
// "message" (or "error"), else the body as text.
func errorMessage(body []byte) string {
	var e struct {
		Error   string `json:"error"`
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) == nil {
		if e.Message != "" {
			return e.Message
		}
		if e.Error != "" {
			return e.Error
		}
	}
	if s := strings.TrimSpace(string(body)); s != "" {
		return s
	}
	return "no message"
}

// pathEscape escapes one path segment, for names such as repository URLs
// that hold slashes.
func pathEscape(s string) string { return url.PathEscape(s) }
