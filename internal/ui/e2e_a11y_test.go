package ui_test

import (
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestKeyboard walks the Applications page with the Tab key: the skip
// link is the first stop, a focused element shows its outline, an
// Application's link is reachable and Enter opens it.
func TestKeyboard(t *testing.T) {
	s := startCapstan(t)
	newApp(t, "a11y-keys", map[string]string{"cm.yaml": configMap("a11y-keys", "1")}, false)
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	run(t, ctx, "open the Applications page",
		chromedp.Navigate(s.URL+"/applications"),
		chromedp.WaitVisible(css(`a[href^="/applications/argocd/"]`)),
		chromedp.KeyEvent(kb.Tab),
	)
	first := read(t, ctx, "the first focus stop", chromedp.Evaluate[string](`document.activeElement.className + " " + document.activeElement.getAttribute("href")`))
	if first != "skip #main" {
		t.Errorf("first focus stop = %q, want the skip link (skip #main)", first)
	}
	outline := read(t, ctx, "the focused element's outline", chromedp.Evaluate[string](
		`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth })()`))
	if outline == "" || outline[:4] == "none" || outline[len(outline)-3:] == "0px" {
		t.Errorf("focused skip link's outline = %q, want a visible outline", outline)
	}
	const isApp = `(document.activeElement.getAttribute("href") || "").startsWith("/applications/argocd/")`
	href := ""
	for i := 0; i < 100 && href == ""; i++ {
		run(t, ctx, "press Tab", chromedp.KeyEvent(kb.Tab))
		if read(t, ctx, "the focused element", chromedp.Evaluate[bool](isApp)) {
			href = read(t, ctx, "the focused link", chromedp.Evaluate[string](`document.activeElement.getAttribute("href")`))
		}
	}
	if href == "" {
		t.Fatal("100 presses of Tab never reached an Application's link")
	}
	outline = read(t, ctx, "the focused link's outline", chromedp.Evaluate[string](
		`(() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle + " " + s.outlineWidth })()`))
	if outline == "" || outline[:4] == "none" || outline[len(outline)-3:] == "0px" {
		t.Errorf("focused Application link's outline = %q, want a visible outline", outline)
	}
	run(t, ctx, "open "+href+" with Enter",
		chromedp.KeyEvent(kb.Enter),
		chromedp.WaitVisible(css(`#app-page`)),
	)
	if at := read(t, ctx, "the page", chromedp.Location()); !strings.HasSuffix(at, href) {
		t.Errorf("Enter on %s opened %s", href, at)
	}
}

// TestThemes checks that the page follows the browser's colour scheme:
// a dark background when it prefers dark, a light one otherwise.
func TestThemes(t *testing.T) {
	s := startCapstan(t)
	ctx := browser(t)
	login(t, ctx, s, "admin", s.Password)
	// luminance is the body background's relative luminance, 0 (black) to 1 (white).
	const luminance = `(() => {
		const [r, g, b] = getComputedStyle(document.body).backgroundColor.match(/\d+/g).map(Number)
		return (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
	})()`
	for _, tc := range []struct {
		scheme string
		dark   bool
	}{{"light", false}, {"dark", true}} {
		media := emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: tc.scheme}}}
		if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, media); err != nil {
			t.Fatalf("emulate %s: %v", tc.scheme, err)
		}
		run(t, ctx, "open the Applications page", chromedp.Navigate(s.URL+"/applications"), chromedp.WaitVisible(css(`main`)))
		l := read(t, ctx, "the background's luminance", chromedp.Evaluate[float64](luminance))
		if dark := l < 0.5; dark != tc.dark {
			t.Errorf("prefers %s: body background luminance %.2f, want dark=%v", tc.scheme, l, tc.dark)
		}
		screenshot(t, ctx, "theme-"+tc.scheme)
	}
}
