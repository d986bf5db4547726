package source

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGitNormalizeURL(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"https as is", "https://github.com/org/repo", "https://github.com/org/repo"},
		{"trailing .git", "https://github.com/org/repo.git", "https://github.com/org/repo"},
		{"trailing slash", "https://github.com/org/repo/", "https://github.com/org/repo"},
		{"trailing .git and slash", "https://github.com/org/repo.git/", "https://github.com/org/repo"},
		{"scheme and host case", "HTTPS://GitHub.COM/Org/Repo.git", "https://github.com/Org/Repo"},
		{"userinfo dropped", "https://user:secret@github.com/org/repo.git", "https://github.com/org/repo"},
		{"default https port", "https://github.com:443/org/repo", "https://github.com/org/repo"},
		{"other port kept", "https://git.example:8443/org/repo", "https://git.example:8443/org/repo"},
		{"scp-like", "git@github.com:org/repo.git", "ssh://github.com/org/repo"},
		{"ssh URL matches scp-like", "ssh://git@github.com/org/repo.git", "ssh://github.com/org/repo"},
		{"ssh default port", "ssh://git@github.com:22/org/repo", "ssh://github.com/org/repo"},
		{"ssh other port", "ssh://git@127.0.0.1:2222/repo.git", "ssh://127.0.0.1:2222/repo"},
		{"file URL", "file:///srv/git/repo.git", "file:///srv/git/repo"},
		{"local path", "/srv/git/repo.git/", "file:///srv/git/repo"},
		{"local path cleaned", "/srv/git/../git/repo", "file:///srv/git/repo"},
		{"query and fragment dropped", "https://git.example/repo?x=1#frag", "https://git.example/repo"},
		{"spaces trimmed", "  https://git.example/repo  ", "https://git.example/repo"},
		{"prefix with org only", "https://github.com/org", "https://github.com/org"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, NormalizeURL(tt.input)); diff != "" {
				t.Errorf("NormalizeURL(%q) (-want +got):\n%s", tt.input, diff)
			}
		})
	}
}

func TestGitRedactURL(t *testing.T) {
	tests := []struct {
		name, input, want string
	}{
		{"no userinfo", "https://git.example/repo.git", "https://git.example/repo.git"},
		{"user only", "https://me@git.example/repo.git", "https://me@git.example/repo.git"},
		{"user and password", "https://me:s3cret@git.example/repo.git", "https://me@git.example/repo.git"},
		{"scp-like kept", "git@github.com:org/repo.git", "git@github.com:org/repo.git"},
		// The parser reads "#..." as a fragment, and "://" in it has no
		// userinfo for it; the password, with its space, still goes.
		{"password in a fragment", "#://:000 @", "#://@"},
		{"password with a space", "/srv/x://me:pa ss@host/r", "/srv/x://me@host/r"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, RedactURL(tt.input)); diff != "" {
				t.Errorf("RedactURL(%q) (-want +got):\n%s", tt.input, diff)
			}
		})
	}
}

func TestGitURLHasPrefix(t *testing.T) {
	tests := []struct {
		name, url, prefix string
		want              bool
	}{
		{"equal", "https://github.com/org", "https://github.com/org", true},
		{"path below", "https://github.com/org/repo", "https://github.com/org", true},
		{"longer name is not below", "https://github.com/org-other/repo", "https://github.com/org", false},
		{"host only", "https://github.com/org/repo", "https://github.com", true},
		{"other host", "https://github.company.com/org/repo", "https://github.com", false},
		{"empty prefix", "https://github.com/org", "", false},
		{"prefix ending in punctuation", "https://github.com/org/team-web", "https://github.com/org/team-", true},
		{"scp-like host prefix", "ssh://gitlab.example/g/r", "ssh://gitlab.example", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := urlHasPrefix(tt.url, tt.prefix); got != tt.want {
				t.Errorf("urlHasPrefix(%q, %q) = %v, want %v", tt.url, tt.prefix, got, tt.want)
			}
		})
	}
}

func FuzzGitNormalizeURL(f *testing.F) {
	for _, s := range []string{
		"https://github.com/org/repo.git", "git@github.com:org/repo.git", "ssh://git@host:22/x",
		"/srv/repo", "file:///srv/repo.git/", "HTTPS://u:p@Host:443/a/b.git/", "http://[::1]:80/x",
		"host:", ":path", "a@b:c:d", "https://h/%2F.git", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		n := NormalizeURL(raw)
		if remembered, fresh := NormalizeURL(raw), normalizeURL(raw); remembered != n || fresh != n {
			t.Errorf("NormalizeURL(%q) = %q, then %q remembered; %q worked out anew", raw, n, remembered, fresh)
		}
		if again := NormalizeURL(n); again != n {
			t.Errorf("not idempotent: %q → %q → %q", raw, n, again)
		}
		// The suffix stays where dropping it would leave "scheme:" or
		// "host:" (with any space before it, which the next call trims).
		if cut := strings.TrimSuffix(strings.TrimSuffix(n, "/"), ".git"); cut != n && !strings.HasSuffix(strings.TrimSpace(cut), ":") && !strings.HasSuffix(strings.TrimSpace(cut), ":/") {
			t.Errorf("NormalizeURL(%q) = %q keeps a repository suffix", raw, n)
		}
		// A password given in the userinfo never survives.
		if u, p, ok := strings.Cut(raw, "://"); ok && !strings.ContainsAny(u, "/@") {
			host, _, _ := strings.Cut(p, "/")
			if at := strings.LastIndex(host, "@"); at > 0 {
				if _, pw, ok := strings.Cut(host[:at], ":"); ok && len(pw) > 3 && strings.Contains(n, ":"+pw+"@") {
					t.Errorf("NormalizeURL(%q) = %q keeps the password", raw, n)
				}
			}
		}
		if strings.Contains(RedactURL(raw), "://") && strings.Count(raw, "@") == 1 {
			if _, rest, ok := strings.Cut(raw, "://"); ok {
				if ui, _, ok := strings.Cut(rest, "@"); ok && !strings.Contains(ui, "/") {
					if _, pw, ok := strings.Cut(ui, ":"); ok && len(pw) > 3 && strings.Contains(RedactURL(raw), ui+"@") {
						t.Errorf("RedactURL(%q) = %q keeps the password", raw, RedactURL(raw))
					}
				}
			}
		}
	})
}

// TestNormalizeURLRemembersOnlyShortURLsWithoutPasswords: a URL with a
// password, or longer than the memo keeps, is worked out each time and
// never held.
func TestNormalizeURLRemembersOnlyShortURLsWithoutPasswords(t *testing.T) {
	long := "https://git.example.com/" + strings.Repeat("a", normalizedMaxLen) + ".git"
	for _, tt := range []struct {
		raw  string
		kept bool
	}{
		{"https://git.example.com/team/kept.git", true},
		{"ssh://git@git.example.com/team/kept-too.git", true},
		{"https://user:s3cret@git.example.com/team/apps.git", false},
		{long, false},
	} {
		if got, want := NormalizeURL(tt.raw), normalizeURL(tt.raw); got != want {
			t.Errorf("NormalizeURL(%q) = %q, want %q", tt.raw, got, want)
		}
		if _, kept := normalized.Get(tt.raw); kept != tt.kept {
			t.Errorf("NormalizeURL(%.60q) kept: %v, want %v", tt.raw, kept, tt.kept)
		}
	}
}

// BenchmarkNormalizeURL is what a pass pays for the form of its
// repository's URL, remembered and worked out anew.
func BenchmarkNormalizeURL(b *testing.B) {
	const raw = "https://git.example.com/team/apps.git"
	for _, tt := range []struct {
		name string
		fn   func(string) string
	}{{"remembered", NormalizeURL}, {"anew", normalizeURL}} {
		b.Run(tt.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if tt.fn(raw) != "https://git.example.com/team/apps" {
					b.Fatal("unexpected form")
				}
			}
		})
	}
}
