package project

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// errText is err's message, or "" for nil.
func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func withSpec(spec v1alpha1.AppProjectSpec) *v1alpha1.AppProject {
	return &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Spec: spec}
}

func TestPermitsSource(t *testing.T) {
	for _, tt := range []struct {
		name  string
		repos []string
		url   string
		want  string
	}{
		{"star allows any", []string{"*"}, "https://github.com/acme/apps.git", ""},
		{"empty list allows none", nil, "https://github.com/acme/apps.git",
			"application repository https://github.com/acme/apps.git is not permitted in project team"},
		{"exact", []string{"https://github.com/acme/apps"}, "https://github.com/acme/apps", ""},
		{"glob within a path segment", []string{"https://github.com/acme/*"}, "https://github.com/acme/apps.git", ""},
		{"star stops at a slash", []string{"https://github.com/acme/*"}, "https://github.com/acme/org/apps",
			"application repository https://github.com/acme/org/apps is not permitted in project team"},
		{"double star crosses slashes", []string{"https://github.com/acme/**"}, "https://github.com/acme/org/apps", ""},
		{"other organisation", []string{"https://github.com/acme/*"}, "https://github.com/other/apps",
			"application repository https://github.com/other/apps is not permitted in project team"},
		{"case, .git and trailing slash", []string{"https://GitHub.com/Acme/Apps.git"}, "https://github.com/acme/apps/", ""},
		{"user name in the URL", []string{"https://github.com/acme/*"}, "https://bot@github.com/acme/apps", ""},
		{"scp-like pattern, ssh URL", []string{"git@github.com:acme/*"}, "ssh://git@github.com/acme/apps.git", ""},
		{"exception wins over star", []string{"*", "!https://github.com/acme/secret"}, "https://github.com/acme/secret",
			`application repository https://github.com/acme/secret is denied by sourceRepos pattern "!https://github.com/acme/secret" in project team`},
		{"exception before the allowance still wins", []string{"!https://github.com/acme/secret", "*"}, "https://github.com/acme/secret",
			`application repository https://github.com/acme/secret is denied by sourceRepos pattern "!https://github.com/acme/secret" in project team`},
		{"exception leaves the rest allowed", []string{"*", "!https://github.com/acme/secret"}, "https://github.com/acme/public", ""},
		{"exception not escaped by spelling", []string{"*", "!https://github.com/acme/secret"}, "HTTPS://bot@GITHUB.com/acme/secret.git/",
			`application repository HTTPS://bot@GITHUB.com/acme/secret.git/ is denied by sourceRepos pattern "!https://github.com/acme/secret" in project team`},
		{"exception with a glob", []string{"*", "!https://gitlab.com/group/**"}, "https://gitlab.com/group/sub/x",
			`application repository https://gitlab.com/group/sub/x is denied by sourceRepos pattern "!https://gitlab.com/group/**" in project team`},
		{"exceptions alone allow nothing", []string{"!https://github.com/acme/secret"}, "https://github.com/acme/public",
			"application repository https://github.com/acme/public is not permitted in project team"},
		{"malformed pattern refuses", []string{"*", "!https://github.com/[acme"}, "https://github.com/acme/x",
			`sourceRepos: invalid pattern "https://github.com/[acme": unexpected end of input in project team`},
		{"password is not shown", nil, "https://bot:hunter2@github.com/acme/apps",
			"application repository https://bot@github.com/acme/apps is not permitted in project team"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := errText(PermitsSource(withSpec(v1alpha1.AppProjectSpec{SourceRepos: tt.repos}), tt.url))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("PermitsSource(%v, %s) (-want +got):\n%s", tt.repos, tt.url, diff)
			}
		})
	}
}
