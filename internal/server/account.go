package server

import (
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/capstan-cd/capstan/internal/rbac"
	"github.com/capstan-cd/capstan/internal/session"
)

// accountRoutes list local accounts and change their passwords and API
// tokens, and answer can-i.
func (a *API) accountRoutes() []route {
	return []route{
		{pattern: "GET /api/v1/account", handle: a.listAccounts, doc: "List the local accounts the caller may see"},
		{pattern: "GET /api/v1/account/{name}", handle: a.getAccount, doc: "Get a local account and its API tokens"},
		{pattern: "GET /api/v1/account/can-i/{resource}/{action}/{subresource...}", handle: a.canI, doc: "Answer yes or no: may the caller take an action on an object"},
		{pattern: "PUT /api/v1/account/password", handle: a.updatePassword, doc: "Change the password of the caller or of another local account"},
		{pattern: "POST /api/v1/account/{name}/token", handle: a.createToken, doc: "Create an API token for a local account"},
		{pattern: "DELETE /api/v1/account/{name}/token/{id}", handle: a.deleteToken, doc: "Delete an API token of a local account"},
	}
}

// account is an account as the API shows it: never its password.
type account struct {
	Name         string         `json:"name"`
	Enabled      bool           `json:"enabled"`
	Capabilities []string       `json:"capabilities"`
	Tokens       []accountToken `json:"tokens,omitempty"`
}

// accountToken is an API token's record; times are Unix seconds written
// as strings, as Argo CD's gateway writes 64-bit integers.
type accountToken struct {
	ID        string `json:"id"`
	IssuedAt  int64  `json:"issuedAt,string"`
	ExpiresAt int64  `json:"expiresAt,string,omitempty"`
}

func toAccount(a session.Account) account {
	out := account{Name: a.Name, Enabled: a.Enabled, Capabilities: a.Capabilities}
	if out.Capabilities == nil {
		out.Capabilities = []string{}
	}
	for _, t := range a.Tokens {
		out.Tokens = append(out.Tokens, accountToken{ID: t.ID, IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt})
	}
	return out
}

// self reports whether the caller of r is the local account name: an
// account may always see and change itself.
func self(r *http.Request, name string) bool {
	p, ok := PrincipalFrom(r.Context())
	return ok && p.Subject == name && p.Issuer == session.Issuer
}

// accountAllowed answers 403 unless the caller is the account name or
// may take action on it.
func (a *API) accountAllowed(w http.ResponseWriter, r *http.Request, action, name string) bool {
	return self(r, name) || a.allowed(w, r, "accounts", action, name)
}

func (a *API) listAccounts(w http.ResponseWriter, r *http.Request) {
	accounts, ok := a.accounts(w, r)
	if !ok {
		return
	}
	items := []account{}
	for _, name := range slices.Sorted(maps.Keys(accounts)) {
		if self(r, name) || a.can(r, "accounts", "get", name) {
			items = append(items, toAccount(accounts[name]))
		}
	}
	writeJSON(w, http.StatusOK, struct {
		Items []account `json:"items"`
	}{items})
}

func (a *API) getAccount(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !a.accountAllowed(w, r, "get", name) {
		return
	}
	accounts, ok := a.accounts(w, r)
	if !ok {
		return
	}
	acct, found := accounts[name]
	if !found {
		writeError(w, http.StatusNotFound, "account %s not found", name)
		return
	}
	writeJSON(w, http.StatusOK, toAccount(acct))
}

// accounts are the local accounts; it answers the error when it fails.
func (a *API) accounts(w http.ResponseWriter, r *http.Request) (map[string]session.Account, bool) {
	if a.Sessions == nil {
		return map[string]session.Account{}, true
	}
	accounts, err := a.Sessions.Accounts(r.Context())
	if err != nil {
		writeError(w, http.StatusInternalServerError, "read accounts: %v", err)
		return nil, false
	}
	return accounts, true
}

// canI answers whether the caller may take action on subresource of
// resource: {"value": "yes"} or {"value": "no"}, as Argo CD answers. The
// object is matched as a plain value against the policy's patterns, so
// "*" is not "every application" ("*/*" is); an unknown resource or
// action is 400 rather than a no that would hide a typo.
func (a *API) canI(w http.ResponseWriter, r *http.Request) {
	resource, action := r.PathValue("resource"), r.PathValue("action")
	if err := rbac.CheckQuestion(resource, action); err != nil {
		writeError(w, http.StatusBadRequest, "%v", err)
		return
	}
	value := "no"
	if a.can(r, resource, action, rbac.QuestionObject(resource, r.PathValue("subresource"), a.Namespace)) {
		value = "yes"
	}
	writeJSON(w, http.StatusOK, struct {
		Value string `json:"value"`
	}{value})
}

type passwordRequest struct {
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
	Name            string `json:"name"`
}

// updatePassword changes the password of the caller, or of the account
// named when the caller may update it; either way the caller proves who
// they are with their own current password.
func (a *API) updatePassword(w http.ResponseWriter, r *http.Request) {
	var req passwordRequest
	if !readJSON(w, r, &req) {
		return
	}
	p, _ := PrincipalFrom(r.Context())
	if req.Name == "" {
		req.Name = p.Subject
	}
	if p.Issuer != session.Issuer || a.Sessions == nil {
		writeError(w, http.StatusForbidden, "only a local account can change a password")
		return
	}
	if !a.accountAllowed(w, r, "update", req.Name) {
		return
	}
	err := a.Sessions.UpdatePassword(r.Context(), p.Subject, req.CurrentPassword, req.Name, req.NewPassword)
	if writeSessionError(w, err, "update the password of %s", req.Name) {
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

type tokenRequest struct {
	Name      string      `json:"name"`
	ExpiresIn flexibleInt `json:"expiresIn"`
	ID        string      `json:"id"`
}

// createToken issues an API token for an account with the apiKey
// capability.
func (a *API) createToken(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req tokenRequest
	if !readJSON(w, r, &req) || !a.accountAllowed(w, r, "update", name) {
		return
	}
	if a.Sessions == nil {
		writeError(w, http.StatusNotImplemented, "local accounts are not served here")
		return
	}
	token, _, err := a.Sessions.CreateToken(r.Context(), name, req.ID, time.Duration(req.ExpiresIn)*time.Second)
	if writeSessionError(w, err, "create a token for %s", name) {
		return
	}
	writeJSON(w, http.StatusOK, tokenResponse{Token: token})
}

// deleteToken deletes an account's API token: it is refused from then on.
func (a *API) deleteToken(w http.ResponseWriter, r *http.Request) {
	name, id := r.PathValue("name"), r.PathValue("id")
	if !a.accountAllowed(w, r, "update", name) {
		return
	}
	if a.Sessions == nil {
		writeError(w, http.StatusNotImplemented, "local accounts are not served here")
		return
	}
	if writeSessionError(w, a.Sessions.DeleteToken(r.Context(), name, id), "delete token %s of %s", id, name) {
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// writeSessionError answers err of the session manager, if any, with the
// status it calls for, and reports whether it did.
func writeSessionError(w http.ResponseWriter, err error, format string, args ...any) bool {
	if err == nil {
		return false
	}
	status := http.StatusInternalServerError
	switch {
	case errors.Is(err, session.ErrNoAccount), errors.Is(err, session.ErrNoToken):
		status = http.StatusNotFound
	case errors.Is(err, session.ErrInvalid), errors.Is(err, session.ErrInvalidCredentials):
		// A wrong current password is a bad request, not a lost session.
		status = http.StatusBadRequest
	case errors.Is(err, session.ErrLocked):
		status = http.StatusTooManyRequests
	}
	args = append(args, err)
	writeError(w, status, format+": %v", args...)
	return true
}

// flexibleInt is a 64-bit integer that a client may send as a JSON
// number or, as Argo CD's gateway writes them, as a string.
type flexibleInt int64

func (n *flexibleInt) UnmarshalJSON(b []byte) error {
	var v int64
	if len(b) > 0 && b[0] == '"' {
		var s json.Number
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s == "" {
			*n = 0
			return nil
		}
		v, err := s.Int64()
		*n = flexibleInt(v)
		return err
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*n = flexibleInt(v)
	return nil
}
