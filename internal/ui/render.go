package ui

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/log"
)

//go:embed templates/*.html
var templateFS embed.FS

// funcs are the functions templates may call. A file of pages that needs
// its own adds them in an init function with addFuncs.
var funcs = template.FuncMap{
	"static": staticURL,
	"ago":    ago,
	"lower":  strings.ToLower,
	"join":   strings.Join,
	"query":  withQuery,
}

// addFuncs makes more functions available to every template.
func addFuncs(m template.FuncMap) {
	for k, v := range m {
		funcs[k] = v
	}
}

// view is what every page's template gets: the page's own data in Data,
// and what the layout shows around it.
type view struct {
	// Title is the page's title, after "capstan · ".
	Title string
	// Nav names the section of the navigation the page belongs to.
	Nav string
	// User is who is signed in; the zero value on the login page.
	User UserInfo
	// CSRF is the token every form must send back in its "csrf" field.
	CSRF string
	// Path is the request's path and query, for links back to the page.
	Path string
	// Data is the page's own data.
	Data any
}

// render writes the page named name with data, as status.
func (u *UI) render(w http.ResponseWriter, r *http.Request, c *call, status int, name, title, nav string, data any) {
	t, err := u.pages.get(name)
	if err != nil {
		log.FromContext(r.Context()).Error(err, "parse a page", "page", name)
		http.Error(w, "the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	v := view{Title: title, Nav: nav, CSRF: c.csrf(), Path: r.URL.RequestURI(), Data: data}
	if info, err := c.user(); err == nil {
		v.User = info
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		log.FromContext(r.Context()).Error(err, "render a page", "page", name)
		http.Error(w, "the page could not be drawn: "+err.Error(), http.StatusInternalServerError)
		return
	}
	writeHTML(w, status, buf.Bytes())
}

// writeHTML answers a drawn page, or part of one, as status; it is never
// cached, since it shows what the user may see now.
func writeHTML(w http.ResponseWriter, status int, html []byte) {
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(html)
}

// renderError shows message on the error page.
func (u *UI) renderError(w http.ResponseWriter, r *http.Request, c *call, status int, message string) {
	u.render(w, r, c, status, "error", http.StatusText(status), "", struct {
		Status  int
		Message string
	}{status, message})
}

// fail answers a page whose API call failed: the login page for a caller
// without a session, the error page with the API's message otherwise.
func (u *UI) fail(w http.ResponseWriter, r *http.Request, c *call, err error) {
	status := statusOf(err)
	if status == http.StatusUnauthorized {
		target := "/login"
		if r.Method == http.MethodGet {
			target += "?" + url.Values{"return_url": {r.URL.RequestURI()}}.Encode()
		}
		http.Redirect(w, r, target, http.StatusSeeOther)
		return
	}
	msg := err.Error()
	var ae *APIError
	if errors.As(err, &ae) {
		msg = ae.Message
	}
	u.renderError(w, r, c, status, msg)
}

// ago tells how long ago t was, roughly, as "3m" or "2d"; "" for zero.
func ago(t any) string {
	var at time.Time
	switch v := t.(type) {
	case time.Time:
		at = v
	case *time.Time:
		if v != nil {
			at = *v
		}
	case string:
		at, _ = time.Parse(time.RFC3339, v)
	default:
		if tm, ok := t.(interface{ Unix() int64 }); ok && tm.Unix() > 0 {
			at = time.Unix(tm.Unix(), 0)
		}
	}
	if at.IsZero() {
		return ""
	}
	d := time.Since(at)
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh", int(d.Hours()))
	default:
		return fmt.Sprintf("%dd", int(d.Hours()/24))
	}
}

// withQuery returns the page path p with key set to value in its query
// (removed when value is empty), for links that change one filter.
func withQuery(p, key, value string) string {
	u, err := url.Parse(p)
	if err != nil {
		return p
	}
	q := u.Query()
	if value == "" {
		q.Del(key)
	} else {
		q.Set(key, value)
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// localPath is target when it is a path on this site, "/" otherwise, so
// that a return_url cannot send a user elsewhere.
func localPath(target string) string {
	u, err := url.Parse(target)
	if err != nil || u.Scheme != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(target, "//") || strings.Contains(target, "\\") {
		return "/"
	}
	return target
}
