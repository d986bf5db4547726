package imageupdater

import (
	"strings"
	"testing"
)

func TestBranchName(t *testing.T) {
	ups := []Update{{Image: "ghcr.io/org/web", Alias: "web", From: "1.0.0", Tag: "1.1.0"}}
	sha, err := BranchName("image-updater-{{.SHA256}}", ups)
	if err != nil {
		t.Fatal(err)
	}
	if len(sha) != len("image-updater-")+64 {
		t.Errorf("branch %q: want a 64-hex-digit hash", sha)
	}
	again, _ := BranchName("image-updater-{{.SHA256}}", ups)
	other, _ := BranchName("image-updater-{{.SHA256}}", []Update{{Image: "ghcr.io/org/web", From: "1.0.0", Tag: "1.2.0"}})
	if again != sha || other == sha {
		t.Errorf("hash not a function of the changes: %q %q %q", sha, again, other)
	}
	for _, tc := range []struct{ tmpl, want string }{
		{"updates", "updates"},
		{"{{range .Images}}{{.Name}}:{{.OldTag}}->{{.NewTag}}{{end}}", "ghcr.io/org/web:1.0.0->1.1.0"},
		{strings.Repeat("x", 300) + "{{.SHA256}}", strings.Repeat("x", 255)},
	} {
		got, err := BranchName(tc.tmpl, ups)
		if err != nil || got != tc.want {
			t.Errorf("BranchName(%q) = %q, %v; want %q", tc.tmpl, got, err, tc.want)
		}
	}
	for _, bad := range []string{"{{.Nope}}", "{{", "{{\"\"}}"} {
		if _, err := BranchName(bad, ups); err == nil {
			t.Errorf("BranchName(%q) succeeded", bad)
		}
	}
}

func TestCommitMessage(t *testing.T) {
	ups := []Update{{Image: "nginx", From: "1.26", Tag: "1.27"}, {Image: "redis", From: "7.0", Tag: "7.2"}}
	got, err := CommitMessage("", "web", ups)
	want := "build: automatic update of web\n\nupdates image nginx tag '1.26' to '1.27'\nupdates image redis tag '7.0' to '7.2'\n"
	if err != nil || got != want {
		t.Errorf("default message = %q, %v; want %q", got, err, want)
	}
	got, err = CommitMessage("chore({{.AppName}}): {{len .AppChanges}} images", "web", ups)
	if err != nil || got != "chore(web): 2 images" {
		t.Errorf("custom message = %q, %v", got, err)
	}
	if _, err := CommitMessage("{{.Nope}}", "web", ups); err == nil {
		t.Error("a template naming a missing field succeeded")
	}
}
