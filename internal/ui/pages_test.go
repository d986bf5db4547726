package ui

import (
	"errors"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPagesDraw parses every page's templates and draws each with no data,
// so that a template that does not parse, calls a function or a template
// its page lacks, or cannot be escaped, fails here and not in front of a
// user who opens that page first.
func TestPagesDraw(t *testing.T) {
	p, err := newPages()
	if err != nil {
		t.Fatal(err)
	}
	if len(p) == 0 {
		t.Fatal("no page found")
	}
	// Parts of pages drawn alone, as their scripts fetch them.
	parts := map[string][]string{"app_ops_sync": {"app_ops_sync_form"}}
	for _, tmpl := range appFragments {
		parts["app"] = append(parts["app"], tmpl)
	}
	for name := range p {
		tmpl, err := p.get(name)
		if err != nil {
			t.Errorf("page %s: %v", name, err)
			continue
		}
		for _, part := range append([]string{"layout"}, parts[name]...) {
			if tmpl.Lookup(part) == nil {
				t.Errorf("page %s has no template %q", name, part)
				continue
			}
			// With no data the drawing itself stops early; what is
			// checked is what html/template does before it: every
			// template the page can reach exists and escapes.
			err := tmpl.ExecuteTemplate(io.Discard, part, view{})
			var te *template.Error
			if errors.As(err, &te) {
				t.Errorf("page %s, template %s: %v", name, part, err)
			}
		}
	}
}

func TestPageFiles(t *testing.T) {
	tests := []struct {
		name string
		page string
		want []string
	}{
		{"no partial", "templates/error.html", []string{"templates/layout.html", "templates/error.html"}},
		{"a partial that calls another", "templates/settings.html", []string{"templates/layout.html", "templates/_settings.html", "templates/_status.html", "templates/settings.html"}},
		{"partials called by partials", "templates/app.html", []string{"templates/layout.html", "templates/_app_ops.html", "templates/_app_resource.html", "templates/_app_tree.html", "templates/_status.html", "templates/app.html"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := pageFiles(tt.page)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pageFiles(%s) (-want +got):\n%s", tt.page, diff)
			}
		})
	}
}

// TestPagesParsedOnFirstUse checks that the UI parses no page at start,
// and a page only when it is first drawn, once for concurrent requests.
func TestPagesParsedOnFirstUse(t *testing.T) {
	// Only the templates are under test: an API that has nothing answers
	// the login page's look-up of the settings, which it does without.
	u, err := New(http.NotFoundHandler())
	if err != nil {
		t.Fatal(err)
	}
	for name := range u.pages {
		if u.pages.parsed(name) {
			t.Errorf("page %s parsed before any request", name)
		}
	}
	h := u.Handler()
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes {
		wg.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/login", nil))
			codes[i] = rec.Code
		})
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("request %d for /login answered %d", i, code)
		}
	}
	for name := range u.pages {
		if got, want := u.pages.parsed(name), name == "login"; got != want {
			t.Errorf("after /login, page %s parsed: %v, want %v", name, got, want)
		}
	}
}
