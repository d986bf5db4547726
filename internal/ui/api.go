package ui

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
)

// tokenCookie is the cookie the API keeps a browser's session token in.
const tokenCookie = "argocd.token"

// call reaches the REST API on behalf of the user of one request: with
// their session token, in-process, so that the API's authentication and
// RBAC decide what they see and do.
type call struct {
	api   http.Handler
	req   *http.Request
	token string

	userOnce sync.Once
	info     UserInfo
	infoErr  error
}

func (u *UI) newCall(r *http.Request) *call {
	c := &call{api: u.API, req: r}
	if ck, err := r.Cookie(tokenCookie); err == nil {
		c.token = ck.Value
	}
	return c
}

// APIError is an answer of the API other than 2xx.
type APIError struct {
	Status  int
	Message string
}

func (e *APIError) Error() string { return fmt.Sprintf("%s (%d)", e.Message, e.Status) }

// statusOf is the HTTP status of an API error, 500 for any other error.
func statusOf(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Status
	}
	return http.StatusInternalServerError
}

// response is what the API answered: its status, headers and body.
type response struct {
	status int
	header http.Header
	body   bytes.Buffer
}

func (r *response) Header() http.Header         { return r.header }
func (r *response) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *response) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

// do sends method path with body (JSON-encoded unless nil) and decodes a
// 2xx answer into out (unless nil). A non-2xx answer is an *APIError with
// the API's message.
func (c *call) do(method, path string, body, out any) (*response, error) {
	var in io.Reader = http.NoBody
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode the request to %s: %w", path, err)
		}
		in = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(c.req.Context(), method, path, in)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	// The API sees the browser's address and TLS, for its cookies and
	// its log lines.
	req.RemoteAddr, req.TLS, req.Host = c.req.RemoteAddr, c.req.TLS, c.req.Host
	resp := &response{header: http.Header{}}
	c.api.ServeHTTP(resp, req)
	if resp.status == 0 {
		resp.status = http.StatusOK
	}
	if resp.status < 200 || resp.status > 299 {
		return resp, &APIError{Status: resp.status, Message: apiMessage(resp)}
	}
	if out != nil {
		if err := json.Unmarshal(resp.body.Bytes(), out); err != nil {
			return resp, fmt.Errorf("decode the answer of %s %s: %w", method, path, err)
		}
	}
	return resp, nil
}

// get reads path into out.
func (c *call) get(path string, out any) error {
	_, err := c.do(http.MethodGet, path, nil, out)
	return err
}

// apiMessage is the message of an API error answer.
func apiMessage(resp *response) string {
	var e struct {
		Message string `json:"message"`
		Error   string `json:"error"`
	}
	if json.Unmarshal(resp.body.Bytes(), &e) == nil {
		if e.Message != "" {
			return e.Message
		}
		if e.Error != "" {
			return e.Error
		}
	}
	if resp.body.Len() > 0 && resp.body.Len() < 500 {
		return resp.body.String()
	}
	return http.StatusText(resp.status)
}

// path joins an API path with escaped segments and a query.
func path(base string, segments []string, query url.Values) string {
	p := base
	for _, s := range segments {
		p += "/" + url.PathEscape(s)
	}
	if len(query) > 0 {
		p += "?" + query.Encode()
	}
	return p
}

// UserInfo is who is signed in, as the API tells it.
type UserInfo struct {
	LoggedIn bool     `json:"loggedIn"`
	Username string   `json:"username"`
	Issuer   string   `json:"iss"`
	Groups   []string `json:"groups"`
}

// errNoSession is the error of a request without a valid session.
var errNoSession = &APIError{Status: http.StatusUnauthorized, Message: "not signed in"}

// user is the signed-in user, or errNoSession.
func (c *call) user() (UserInfo, error) {
	c.userOnce.Do(func() {
		if c.token == "" {
			c.infoErr = errNoSession
			return
		}
		c.infoErr = c.get("/api/v1/session/userinfo", &c.info)
		if c.infoErr == nil && !c.info.LoggedIn {
			c.infoErr = errNoSession
		}
	})
	return c.info, c.infoErr
}

// can asks the API whether the user may take action on object of
// resource, to hide what RBAC denies; the API refuses it anyway.
func (c *call) can(resource, action, object string) bool {
	var out struct {
		Value string `json:"value"`
	}
	// The object is one escaped segment: a repository's or cluster's URL
	// split at its slashes would give "//", which the mux redirects.
	err := c.get(path("/api/v1/account/can-i", []string{resource, action, object}, nil), &out)
	return err == nil && out.Value == "yes"
}

// csrfField is the hidden form field that proves a form came from a page
// the UI rendered for this session.
const csrfField = "csrf"

// csrf is the form token of the session: derived from the session token,
// which a page on another site cannot read.
func (c *call) csrf() string {
	if c.token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("capstan-ui-form\x00" + c.token))
	return base64.RawURLEncoding.EncodeToString(sum[:16])
}

// validCSRF reports whether a form's token is the session's. The login
// form, sent before there is a session, needs none.
func (c *call) validCSRF(got string) bool {
	want := c.csrf()
	if want == "" {
		return true
	}
	return subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}
