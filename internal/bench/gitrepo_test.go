package bench

import (
	"encoding/json"
	"slices"
	"testing"
)

// TestPushEventListsChangedFiles checks that the webhook payload lists,
// as GitHub does, every pushed commit with the paths it changed: capstan
// refreshes first the Applications whose files a push changed.
func TestPushEventListsChangedFiles(t *testing.T) {
	r, err := startGitRepo(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	all := apps(3, "bench")
	if err := r.writeApps(all, revisionName(0), 64); err != nil {
		t.Fatal(err)
	}
	first, err := r.commitAndPush("W1")
	if err != nil {
		t.Fatal(err)
	}
	var heads []string
	for i, set := range [][]App{all[1:2], {all[0], all[2]}} {
		if err := r.writeApps(set, revisionName(i+1), 64); err != nil {
			t.Fatal(err)
		}
		head, err := r.commitAndPush("change")
		if err != nil {
			t.Fatal(err)
		}
		heads = append(heads, head)
	}
	data, err := r.pushEvent(first, heads[1])
	if err != nil {
		t.Fatal(err)
	}
	var ev struct {
		Ref        string `json:"ref"`
		After      string `json:"after"`
		Repository struct {
			CloneURL      string `json:"clone_url"`
			DefaultBranch string `json:"default_branch"`
		} `json:"repository"`
		Commits []struct {
			ID                       string
			Added, Modified, Removed []string
		} `json:"commits"`
		HeadCommit struct{ ID string } `json:"head_commit"`
	}
	if err := json.Unmarshal(data, &ev); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	if ev.Ref != "refs/heads/main" || ev.After != heads[1] || ev.Repository.CloneURL != r.URL || ev.HeadCommit.ID != heads[1] {
		t.Errorf("payload header: %s", data)
	}
	want := [][]string{
		{all[1].Path + "/manifests.yaml"},
		{all[0].Path + "/manifests.yaml", all[2].Path + "/manifests.yaml"},
	}
	if len(ev.Commits) != len(want) {
		t.Fatalf("%d commits listed, want %d: %s", len(ev.Commits), len(want), data)
	}
	for i, c := range ev.Commits {
		if c.ID != heads[i] || !slices.Equal(c.Modified, want[i]) || len(c.Added) != 0 || len(c.Removed) != 0 {
			t.Errorf("commit %d: %+v, want %s modified", i, c, want[i])
		}
	}
}
