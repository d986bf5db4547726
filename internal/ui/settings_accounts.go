package ui

import (
	"net/http"
	"net/url"
)

// accountRoutes are the Accounts pages: local accounts and their API
// tokens, through /api/v1/account.
func (u *UI) accountRoutes() []route {
	const base = "/settings/accounts"
	return []route{
		{pattern: "GET " + base, handle: u.accountsPage},
		{pattern: "GET " + base + "/{name}", handle: u.accountPage},
		{pattern: "POST " + base + "/{name}/token", handle: u.createAccountToken},
		{pattern: "POST " + base + "/{name}/token/delete", handle: u.deleteAccountToken},
	}
}

// accountItem is a local account as the API shows it.
type accountItem struct {
	Name         string   `json:"name"`
	Enabled      bool     `json:"enabled"`
	Capabilities []string `json:"capabilities"`
	Tokens       []struct {
		ID        string `json:"id"`
		IssuedAt  int64  `json:"issuedAt,string"`
		ExpiresAt int64  `json:"expiresAt,string"`
	} `json:"tokens"`
}

func (u *UI) accountsPage(w http.ResponseWriter, r *http.Request, c *call) {
	var list struct {
		Items []accountItem `json:"items"`
	}
	if err := c.get("/api/v1/account", &list); err != nil {
		u.fail(w, r, c, err)
		return
	}
	u.render(w, r, c, http.StatusOK, "settings_accounts", "Accounts", "settings", list.Items)
}

// accountView is an account's page.
type accountView struct {
	Done    notice
	Account accountItem
	// CanManage is whether the user may make and delete its tokens: it is
	// theirs, or RBAC lets them update it.
	CanManage bool
	// APIKey is whether the account may have tokens at all.
	APIKey   bool
	NewToken *newToken
}

func (u *UI) accountPage(w http.ResponseWriter, r *http.Request, c *call) {
	u.showAccount(w, r, c, doneNotice(r), nil)
}

func (u *UI) showAccount(w http.ResponseWriter, r *http.Request, c *call, done notice, tok *newToken) {
	name := r.PathValue("name")
	var a accountItem
	if err := c.get(path("/api/v1/account", []string{name}, nil), &a); err != nil {
		u.fail(w, r, c, err)
		return
	}
	me, _ := c.user()
	v := accountView{Done: done, Account: a, NewToken: tok,
		CanManage: me.Username == name && me.Issuer == localIssuer || c.can("accounts", "update", name)}
	for _, cap := range a.Capabilities {
		v.APIKey = v.APIKey || cap == "apiKey"
	}
	u.render(w, r, c, http.StatusOK, "settings_account", "Account "+name, "settings", v)
}

// createAccountToken makes an API token and shows it this once.
func (u *UI) createAccountToken(w http.ResponseWriter, r *http.Request, c *call) {
	name := r.PathValue("name")
	u.createToken(w, r, c, path("/api/v1/account", []string{name, "token"}, nil), func(token string) {
		u.showAccount(w, r, c, notice{}, &newToken{Owner: "account " + name, Token: token})
	})
}

func (u *UI) deleteAccountToken(w http.ResponseWriter, r *http.Request, c *call) {
	name := r.PathValue("name")
	if _, err := c.do(http.MethodDelete, path("/api/v1/account", []string{name, "token", r.PostFormValue("id")}, nil), nil, nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	redirectDone(w, r, "/settings/accounts/"+url.PathEscape(name), "token-deleted")
}
