package source

import (
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestPushConcerns(t *testing.T) {
	push := Push{
		URLs:          []string{"https://github.com/acme/apps", "git@github.com:acme/apps.git"},
		Ref:           "refs/heads/main",
		DefaultBranch: "main",
	}
	tests := []struct {
		name string
		src  v1alpha1.ApplicationSource
		want bool
	}{
		{"same repo, branch", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps.git", TargetRevision: "main"}, true},
		{"URL case and .git do not matter", v1alpha1.ApplicationSource{RepoURL: "https://GitHub.com/acme/apps/", TargetRevision: "main"}, true},
		{"ssh URL", v1alpha1.ApplicationSource{RepoURL: "git@github.com:acme/apps.git", TargetRevision: "main"}, true},
		{"HEAD follows the default branch", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps", TargetRevision: "HEAD"}, true},
		{"empty revision follows the default branch", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps"}, true},
		{"full ref", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps", TargetRevision: "refs/heads/main"}, true},
		{"another branch", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps", TargetRevision: "release-1"}, false},
		{"another repository", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/other", TargetRevision: "main"}, false},
		{"a commit never moves", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps", TargetRevision: "3f2a9c1"}, false},
		{"a chart", v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps", Chart: "x", TargetRevision: "main"}, false},
	}
	for _, tt := range tests {
		if got := push.Concerns(tt.src); got != tt.want {
			t.Errorf("%s: Concerns = %v, want %v", tt.name, got, tt.want)
		}
	}
	featurePush := Push{URLs: []string{"https://github.com/acme/apps"}, Ref: "refs/heads/feature", DefaultBranch: "main"}
	if featurePush.Concerns(v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps", TargetRevision: "HEAD"}) {
		t.Error("a push to a feature branch refreshed an Application that follows HEAD")
	}
	tagPush := Push{URLs: []string{"https://github.com/acme/apps"}, Ref: "refs/tags/v1.2.0"}
	if !tagPush.Concerns(v1alpha1.ApplicationSource{RepoURL: "https://github.com/acme/apps", TargetRevision: "v1.2.0"}) {
		t.Error("a tag push did not refresh an Application on that tag")
	}
}

func TestPushTouches(t *testing.T) {
	p := Push{Files: []string{"apps/shop/deployment.yaml", "README.md"}}
	tests := []struct {
		dirs []string
		want bool
	}{
		{[]string{"apps/shop"}, true},
		{[]string{"./apps/shop/"}, true},
		{[]string{"apps/sho"}, false},
		{[]string{"apps/cart", "apps/shop"}, true},
		{[]string{"apps/cart"}, false},
		{[]string{""}, true},
		{[]string{"."}, true},
		{[]string{"README.md"}, true},
	}
	for _, tt := range tests {
		if got := p.Touches(tt.dirs); got != tt.want {
			t.Errorf("Touches(%q) = %v, want %v", tt.dirs, got, tt.want)
		}
	}
	if !(Push{}).Touches([]string{"apps/cart"}) {
		t.Error("a push whose files are unknown must touch everything")
	}
	if (Push{Files: []string{}}).Touches([]string{"apps/cart"}) {
		t.Error("a push known to change no file touched a directory")
	}
}
