package source

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSelectVersion(t *testing.T) {
	versions := []string{"0.9.0", "1.0.0", "1.2.0", "1.2.3", "1.3.0-rc.1", "1.10.1", "2.0.0-beta.1", "v2.1.0"}
	tests := []struct {
		name       string
		versions   []string
		constraint string
		want       string
		wantErr    error // nil, errNoMatchingVersion, or errInvalid for a bad constraint
	}{
		{name: "exact", versions: versions, constraint: "1.2.0", want: "1.2.0"},
		{name: "exact pre-release", versions: versions, constraint: "1.3.0-rc.1", want: "1.3.0-rc.1"},
		{name: "exact as written with a v", versions: versions, constraint: "v2.1.0", want: "v2.1.0"},
		{name: "exact without the v the index has", versions: versions, constraint: "2.1.0", want: "v2.1.0"},
		{name: "patch wildcard", versions: versions, constraint: "1.2.*", want: "1.2.3"},
		{name: "x wildcard", versions: versions, constraint: "1.x", want: "1.10.1"},
		{name: "range", versions: versions, constraint: ">=1.0 <2", want: "1.10.1"},
		{name: "comma range", versions: versions, constraint: ">=1.0.0, <1.2.0", want: "1.0.0"},
		{name: "tilde", versions: versions, constraint: "~1.2", want: "1.2.3"},
		{name: "caret", versions: versions, constraint: "^1.2", want: "1.10.1"},
		{name: "star skips pre-releases", versions: versions, constraint: "*", want: "v2.1.0"},
		{name: "empty means star", versions: versions, constraint: "", want: "v2.1.0"},
		{name: "range skips pre-releases", versions: versions, constraint: ">=1.2.3 <1.4", want: "1.2.3"},
		{name: "pre-release asked for", versions: versions, constraint: ">=1.3.0-0 <1.4", want: "1.3.0-rc.1"},
		{name: "pre-release of a major asked for", versions: []string{"1.0.0", "2.0.0-beta.1"}, constraint: ">=2.0.0-0", want: "2.0.0-beta.1"},
		{name: "newest is not last", versions: []string{"1.10.0", "1.9.0", "1.2.0"}, constraint: "1.*", want: "1.10.0"},
		{name: "non-semver versions are skipped by ranges", versions: []string{"latest", "1.0.0"}, constraint: "*", want: "1.0.0"},
		{name: "non-semver tag written exactly", versions: []string{"latest", "1.0.0"}, constraint: "latest", want: "latest"},
		{name: "missing exact version", versions: versions, constraint: "9.9.9", wantErr: errNoMatchingVersion},
		{name: "range without match", versions: versions, constraint: ">=3", wantErr: errNoMatchingVersion},
		{name: "only pre-releases", versions: []string{"1.0.0-rc.1"}, constraint: "*", wantErr: errNoMatchingVersion},
		{name: "no versions", versions: nil, constraint: "*", wantErr: errNoMatchingVersion},
		{name: "invalid constraint", versions: versions, constraint: "not a version", wantErr: errInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := selectVersion(tt.versions, tt.constraint)
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("selectVersion(%q) error: %v", tt.constraint, err)
			case tt.wantErr == errInvalid:
				if err == nil || errors.Is(err, errNoMatchingVersion) {
					t.Fatalf("selectVersion(%q) = %q, %v; want an invalid-constraint error", tt.constraint, got, err)
				}
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("selectVersion(%q) = %q, %v; want %v", tt.constraint, got, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("selectVersion(%q) (-want +got):\n%s", tt.constraint, diff)
			}
		})
	}
}

// errInvalid marks a table row that expects an invalid-constraint error.
var errInvalid = errors.New("invalid constraint")
