package source

import (
	"slices"
	"strings"
	"testing"
)

// FuzzSelectVersion feeds targetRevision values a user may write: the
// answer, when there is one, is always one of the versions offered.
func FuzzSelectVersion(f *testing.F) {
	for _, s := range []string{"", "*", "1.2.*", ">=1.0 <2", "~1.2", "^0.1.0", "1.0.0-rc.1", "v1", "latest", "||", ">=1.0.0-0"} {
		f.Add(s)
	}
	versions := []string{"0.1.0", "1.0.0", "1.2.3", "1.3.0-rc.1", "v2.0.0", "latest"}
	f.Fuzz(func(t *testing.T, constraint string) {
		got, err := selectVersion(versions, constraint)
		if err == nil && !slices.Contains(versions, got) {
			t.Errorf("selectVersion(%q) = %q, not an offered version", constraint, got)
		}
	})
}

// FuzzLocateChart feeds repoURL and chart values a user may write: a
// located OCI chart's reference always ends with the chart's name, and a
// Helm repository is always reached over HTTP(S).
func FuzzLocateChart(f *testing.F) {
	f.Add("oci://registry.example.com/charts", "guestbook", false)
	f.Add("registry.example.com/charts", "guestbook", true)
	f.Add("https://charts.example.com/", "guestbook", false)
	f.Add("oci:///", "/", true)
	f.Fuzz(func(t *testing.T, url, chart string, enableOCI bool) {
		loc, err := locateChart(Repository{URL: url, EnableOCI: enableOCI}, chart)
		if err != nil {
			return
		}
		switch {
		case loc.OCI && !strings.HasSuffix(loc.Ref, "/"+loc.Chart):
			t.Errorf("locateChart(%q, %q): ref %q does not end with the chart", url, chart, loc.Ref)
		case !loc.OCI && !strings.HasPrefix(strings.ToLower(loc.IndexURL), "http"):
			t.Errorf("locateChart(%q, %q): index URL %q is not HTTP", url, chart, loc.IndexURL)
		case loc.Chart == "":
			t.Errorf("locateChart(%q, %q): empty chart", url, chart)
		}
	})
}
