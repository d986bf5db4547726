package imageupdater

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestPick(t *testing.T) {
	at := func(min int) time.Time { return time.Date(2026, 1, 1, 0, min, 0, 0, time.UTC) }
	tags := func(names ...string) []Candidate {
		var c []Candidate
		for _, n := range names {
			c = append(c, Candidate{Tag: n})
		}
		return c
	}
	tests := []struct {
		name       string
		strategy   Strategy
		constraint string
		current    string
		candidates []Candidate
		want       string
		wantOK     bool
	}{
		{"semver highest", StrategySemver, "", "", tags("1.2.0", "1.10.0", "1.9.3", "latest"), "1.10.0", true},
		{"semver without constraint takes pre-releases", StrategySemver, "", "", tags("1.2.0", "1.3.0-rc1"), "1.3.0-rc1", true},
		{"semver constraint skips pre-releases", StrategySemver, ">=1.2.0", "", tags("1.2.0", "1.3.0-rc1"), "1.2.0", true},
		{"semver pre-releases with -0", StrategySemver, ">=1.2.0-0", "", tags("1.2.0", "1.3.0-rc1"), "1.3.0-rc1", true},
		{"semver constraint", StrategySemver, "~1.26", "", tags("1.25.4", "1.26.1", "1.26.3", "1.27.0"), "1.26.3", true},
		{"semver v prefix", StrategySemver, "1.x", "", tags("v1.1.0", "v1.2.0", "v2.0.0"), "v1.2.0", true},
		{"semver equal versions by tag", StrategySemver, "", "", tags("v1.2.0", "1.2", "1.2.0"), "v1.2.0", true},
		{"semver nothing matches", StrategySemver, "~3.0", "", tags("1.0.0", "2.0.0"), "", false},
		{"semver no version tags", StrategySemver, "", "", tags("latest", "main"), "", false},
		{"alphabetical is lexical", StrategyAlphabetical, "", "", tags("226", "26", "100"), "26", true},
		{
			"newest build", StrategyNewestBuild, "", "",
			[]Candidate{{Tag: "a", Created: at(3)}, {Tag: "c", Created: at(1)}, {Tag: "b", Created: at(2)}}, "a", true,
		},
		{
			"newest build keeps current on a tie", StrategyNewestBuild, "", "a",
			[]Candidate{{Tag: "a", Created: at(3)}, {Tag: "b", Created: at(3)}}, "a", true,
		},
		{
			"newest build tie without current", StrategyNewestBuild, "", "old",
			[]Candidate{{Tag: "a", Created: at(3)}, {Tag: "b", Created: at(3)}}, "b", true,
		},
		{"newest build none", StrategyNewestBuild, "", "", nil, "", false},
		{"digest of the tag", StrategyDigest, "latest", "", []Candidate{{Tag: "latest", Digest: "sha256:1"}}, "latest", true},
		{"digest tag missing", StrategyDigest, "latest", "", []Candidate{{Tag: "main", Digest: "sha256:1"}}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Pick(tt.strategy, tt.constraint, tt.current, tt.candidates)
			if diff := cmp.Diff([]any{tt.want, tt.wantOK}, []any{got.Tag, ok}); diff != "" {
				t.Errorf("Pick (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseStrategy(t *testing.T) {
	for in, want := range map[string]Strategy{
		"": StrategySemver, "semver": StrategySemver, "latest": StrategyNewestBuild, "newest-build": StrategyNewestBuild,
		"name": StrategyAlphabetical, "Alphabetical": StrategyAlphabetical, "digest": StrategyDigest,
	} {
		if got, err := ParseStrategy(in); err != nil || got != want {
			t.Errorf("ParseStrategy(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := ParseStrategy("newest"); err == nil {
		t.Error("ParseStrategy(newest) accepted an unknown strategy")
	}
}

func TestTagFilter(t *testing.T) {
	tags := []string{"2.1.0-SNAPSHOT", "2.1.0", "2.2.0-SNAPSHOT", "3.0.0-SNAPSHOT", "latest", "2.3.0-rc1"}
	tests := []struct {
		name string
		spec ImageSpec
		want []string
	}{
		{"all", ImageSpec{}, tags},
		{"any", ImageSpec{AllowTags: "ANY"}, tags},
		{"the article's regexp", ImageSpec{AllowTags: `regexp:2\.\d+\.\d+-SNAPSHOT`}, []string{"2.1.0-SNAPSHOT", "2.2.0-SNAPSHOT"}},
		{"ignore globs", ImageSpec{IgnoreTags: []string{"*-SNAPSHOT", "latest"}}, []string{"2.1.0", "2.3.0-rc1"}},
		{"ignore all pauses", ImageSpec{IgnoreTags: []string{"*"}}, nil},
		{"allow and ignore", ImageSpec{AllowTags: "regexp:^2", IgnoreTags: []string{"*rc*"}}, []string{"2.1.0-SNAPSHOT", "2.1.0", "2.2.0-SNAPSHOT"}},
		{"digest follows its tag", ImageSpec{Strategy: StrategyDigest, Constraint: "latest"}, []string{"latest"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := newTagFilter(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, f.apply(tags)); diff != "" {
				t.Errorf("apply (-want +got):\n%s", diff)
			}
		})
	}
}
