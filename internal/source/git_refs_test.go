package source

import (
	"testing"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/google/go-cmp/cmp"
)

func TestGitRefListLookup(t *testing.T) {
	const (
		mainSHA = "1111111111111111111111111111111111111111"
		devSHA  = "2222222222222222222222222222222222222222"
		tagObj  = "3333333333333333333333333333333333333333"
		tagSHA  = "4444444444444444444444444444444444444444"
		bothTag = "5555555555555555555555555555555555555555"
	)
	refs := newRefList([]*plumbing.Reference{
		plumbing.NewSymbolicReference("HEAD", "refs/heads/main"),
		plumbing.NewReferenceFromStrings("refs/heads/main", mainSHA),
		plumbing.NewReferenceFromStrings("refs/heads/dev", devSHA),
		plumbing.NewReferenceFromStrings("refs/heads/same", devSHA),
		plumbing.NewReferenceFromStrings("refs/tags/v1", tagObj),
		plumbing.NewReferenceFromStrings("refs/tags/v1^{}", tagSHA),
		plumbing.NewReferenceFromStrings("refs/tags/same", bothTag),
	}, time.Time{})
	tests := []struct {
		name, revision, want string
		found                bool
	}{
		{"HEAD follows its target", "HEAD", mainSHA, true},
		{"empty is HEAD", "", mainSHA, true},
		{"branch", "dev", devSHA, true},
		{"full ref", "refs/heads/dev", devSHA, true},
		{"annotated tag peeled", "v1", tagSHA, true},
		{"full tag ref peeled", "refs/tags/v1", tagSHA, true},
		{"tag wins over branch, as in git", "same", bothTag, true},
		{"unknown", "nope", "", false},
		{"partial ref name", "heads/dev", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := refs.lookup(tt.revision)
			if diff := cmp.Diff([]any{tt.want, tt.found}, []any{got, found}); diff != "" {
				t.Errorf("lookup(%q) (-want +got):\n%s", tt.revision, diff)
			}
		})
	}

	prefixTests := []struct {
		name, prefix, want string
		found              bool
	}{
		{"unique", "2222222", devSHA, true},
		{"upper case", "444444A"[:6], tagSHA, true},
		{"none", "abcdef", "", false},
	}
	for _, tt := range prefixTests {
		t.Run("prefix "+tt.name, func(t *testing.T) {
			got, found := refs.byPrefix(tt.prefix)
			if diff := cmp.Diff([]any{tt.want, tt.found}, []any{got, found}); diff != "" {
				t.Errorf("byPrefix(%q) (-want +got):\n%s", tt.prefix, diff)
			}
		})
	}
	if diff := cmp.Diff([]string{"refs/heads/dev", "refs/heads/same"}, sorted(refs.namesOf(devSHA))); diff != "" {
		t.Errorf("namesOf (-want +got):\n%s", diff)
	}
}

func sorted(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestGitIsHex(t *testing.T) {
	tests := []struct {
		input string
		want  bool
	}{
		{"abc", false},
		{"abcd", true},
		{"ABCDEF0123", true},
		{"abcg", false},
		{"1111111111111111111111111111111111111111", true},
		{"11111111111111111111111111111111111111111", false},
	}
	for _, tt := range tests {
		if got := isHex(tt.input); got != tt.want {
			t.Errorf("isHex(%q) = %v, want %v", tt.input, got, tt.want)
		}
	}
}
