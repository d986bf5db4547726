package render

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestEnvsubst(t *testing.T) {
	env := buildEnv(Request{AppName: "guestbook", Namespace: "demo", Revision: "f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8"})
	tests := []struct{ in, want string }{
		{"$ARGOCD_APP_NAME", "guestbook"},
		{"${ARGOCD_APP_NAMESPACE}-x", "demo-x"},
		{"rev-${ARGOCD_APP_REVISION_SHORT}", "rev-f913b6c"},
		{"${ARGOCD_APP_REVISION_SHORT_8}", "f913b6cb"},
		{"$$ARGOCD_APP_NAME", "$ARGOCD_APP_NAME"},
		{"${NOT_SET}", ""},
		{"no variables", "no variables"},
	}
	for _, tt := range tests {
		if got := envsubst(tt.in, env); got != tt.want {
			t.Errorf("envsubst(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestBuildEnvRepoURLHasNoCredentials: $ARGOCD_APP_SOURCE_REPO_URL names
// the repository without the user name or password written into its URL,
// which a tool could otherwise copy into an object.
func TestBuildEnvRepoURLHasNoCredentials(t *testing.T) {
	tests := []struct{ name, repoURL, want string }{
		{"password", "https://bob:s3cret@git.example.com/apps.git", "https://git.example.com/apps.git"},
		{"token as user", "https://ghp_token@github.com/org/apps", "https://github.com/org/apps"},
		{"none", "https://git.example.com/apps.git", "https://git.example.com/apps.git"},
		{"scp-like", "git@github.com:org/apps.git", "git@github.com:org/apps.git"},
		{"ssh", "ssh://git@github.com/org/apps.git", "ssh://git@github.com/org/apps.git"},
		{"ssh with password", "ssh://git:pw@github.com/org/apps.git", "ssh://git@github.com/org/apps.git"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := buildEnv(Request{Source: v1alpha1.ApplicationSource{RepoURL: tt.repoURL}})
			if diff := cmp.Diff(tt.want, env["ARGOCD_APP_SOURCE_REPO_URL"]); diff != "" {
				t.Errorf("ARGOCD_APP_SOURCE_REPO_URL (-want +got):\n%s", diff)
			}
		})
	}
}
