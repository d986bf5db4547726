package render

import (
	"strings"
	"testing"
)

func TestFileFilter(t *testing.T) {
	tests := []struct {
		name             string
		include, exclude string
		path             string
		want             bool
	}{
		{name: "no patterns", path: "a/b.yaml", want: true},
		{name: "star", include: "*.yaml", path: "deploy.yaml", want: true},
		{name: "star crosses directories", include: "*.yaml", path: "a/b/deploy.yaml", want: true},
		{name: "star does not match other extension", include: "*.yaml", path: "deploy.json", want: false},
		{name: "alternatives", include: "{*.yaml,*.json}", path: "svc.json", want: true},
		{name: "alternatives, no match", include: "{*.yaml,*.json}", path: "svc.yml", want: false},
		{name: "alternative of whole names", include: "{config.json,deployment.yaml}", path: "deployment.yaml", want: true},
		{name: "whole path required", include: "deployment.yaml", path: "sub/deployment.yaml", want: false},
		{name: "question mark", include: "v?.yaml", path: "v1.yaml", want: true},
		{name: "class", include: "v[0-9].yaml", path: "v7.yaml", want: true},
		{name: "negated class", include: "v[!0-9].yaml", path: "v7.yaml", want: false},
		{name: "dot is literal", include: "a.yaml", path: "abyaml", want: false},
		{name: "escaped star", include: `\*.yaml`, path: "*.yaml", want: true},
		{name: "escaped star is not a wildcard", include: `\*.yaml`, path: "x.yaml", want: false},
		{name: "exclude", exclude: "*-test.yaml", path: "app-test.yaml", want: false},
		{name: "exclude, no match", exclude: "*-test.yaml", path: "app.yaml", want: true},
		{name: "exclude wins over include", include: "*.yaml", exclude: "secret*", path: "secret.yaml", want: false},
		{name: "exclude a directory", exclude: "drafts/*", path: "drafts/a.yaml", want: false},
		{name: "non-ASCII names", include: "café-?.yaml", path: "café-1.yaml", want: true},
		{name: "nested alternatives", include: "{a,b{1,2}}.yaml", path: "b2.yaml", want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := newFileFilter(tt.include, tt.exclude)
			if err != nil {
				t.Fatal(err)
			}
			if got := f.match(tt.path); got != tt.want {
				t.Errorf("match(%q) with include %q, exclude %q = %v, want %v", tt.path, tt.include, tt.exclude, got, tt.want)
			}
		})
	}
}

func TestGlobErrors(t *testing.T) {
	for _, pattern := range []string{"{a,b", "[abc", "[]"} {
		if _, err := globRegexp(pattern); err == nil {
			t.Errorf("globRegexp(%q) accepted a malformed pattern", pattern)
		}
	}
}

// FuzzGlob checks that no include or exclude pattern a user writes makes
// the compiler panic, and that a pattern without special characters
// matches exactly itself.
func FuzzGlob(f *testing.F) {
	for _, seed := range []string{"*.yaml", "{a,b{c,d}}/*.json", "[!a-z]?", `\*`, "{", "[", "}", "a,b"} {
		f.Add(seed, "a/b.yaml")
	}
	f.Fuzz(func(t *testing.T, pattern, path string) {
		re, err := globRegexp(pattern)
		if err != nil {
			return
		}
		re.MatchString(path)
		if !strings.ContainsAny(pattern, `*?{}[]\,`) && !re.MatchString(pattern) {
			t.Errorf("literal pattern %q does not match itself", pattern)
		}
	})
}
