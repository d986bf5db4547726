package server

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/appcache"
)

// pageApp is an Application for the page's table tests.
func pageApp(name, project, repo, server, ns string, sync v1alpha1.SyncStatusCode, health v1alpha1.HealthStatusCode) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: name, Labels: map[string]string{"team": project}},
		Spec: v1alpha1.ApplicationSpec{
			Project:     project,
			Source:      &v1alpha1.ApplicationSource{RepoURL: repo, Path: name, TargetRevision: "main"},
			Destination: v1alpha1.ApplicationDestination{Server: server, Namespace: ns},
		},
		Status: v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: sync},
			Health: v1alpha1.AppHealthStatus{Status: health},
		},
	}
}

func TestPageOf(t *testing.T) {
	const in, far = "https://kubernetes.default.svc", "https://far.example.com"
	apps := []*v1alpha1.Application{
		pageApp("a1", "team-a", "https://git.example.com/a.git", in, "web", "Synced", "Healthy"),
		pageApp("a2", "team-a", "https://git.example.com/a.git", in, "web", "OutOfSync", "Degraded"),
		pageApp("b1", "team-b", "https://git.example.com/b.git", far, "api", "Synced", "Progressing"),
		pageApp("b2", "team-b", "https://git.example.com/b.git", far, "api", "", ""),
		pageApp("c1", "", "https://git.example.com/c.git", in, "", "Synced", "Healthy"),
	}
	type counts struct{ Sync, Health map[string]int }
	tests := []struct {
		name      string
		query     string
		wantNames []string
		wantTotal int
		want      counts
	}{
		{"everything, one page", "", []string{"a1", "a2", "b1", "b2", "c1"}, 5,
			counts{map[string]int{"Synced": 3, "OutOfSync": 1, "Unknown": 1}, map[string]int{"Healthy": 2, "Degraded": 1, "Progressing": 1, "Unknown": 1}}},
		{"second page of two", "?size=2&page=2", []string{"b1", "b2"}, 5,
			counts{map[string]int{"Synced": 3, "OutOfSync": 1, "Unknown": 1}, map[string]int{"Healthy": 2, "Degraded": 1, "Progressing": 1, "Unknown": 1}}},
		{"a page past the end", "?size=2&page=4", []string{}, 5,
			counts{map[string]int{"Synced": 3, "OutOfSync": 1, "Unknown": 1}, map[string]int{"Healthy": 2, "Degraded": 1, "Progressing": 1, "Unknown": 1}}},
		{"counts alone", "?size=0", []string{}, 5,
			counts{map[string]int{"Synced": 3, "OutOfSync": 1, "Unknown": 1}, map[string]int{"Healthy": 2, "Degraded": 1, "Progressing": 1, "Unknown": 1}}},
		{"a project, and the default one", "?project=team-a,default", []string{"a1", "a2", "c1"}, 3,
			counts{map[string]int{"Synced": 2, "OutOfSync": 1}, map[string]int{"Healthy": 2, "Degraded": 1}}},
		// Each status's counts leave out its own filter: they tell what
		// choosing another value would show.
		{"sync status", "?sync=Synced", []string{"a1", "b1", "c1"}, 3,
			counts{map[string]int{"Synced": 3, "OutOfSync": 1, "Unknown": 1}, map[string]int{"Healthy": 2, "Progressing": 1}}},
		{"two health states", "?health=Healthy&health=Unknown", []string{"a1", "b2", "c1"}, 3,
			counts{map[string]int{"Synced": 2, "Unknown": 1}, map[string]int{"Healthy": 2, "Degraded": 1, "Progressing": 1, "Unknown": 1}}},
		{"sync and health", "?sync=Synced&health=Healthy", []string{"a1", "c1"}, 2,
			counts{map[string]int{"Synced": 2}, map[string]int{"Healthy": 2, "Progressing": 1}}},
		{"cluster by server", "?cluster=" + url.QueryEscape(far), []string{"b1", "b2"}, 2,
			counts{map[string]int{"Synced": 1, "Unknown": 1}, map[string]int{"Progressing": 1, "Unknown": 1}}},
		{"namespace", "?namespace=web", []string{"a1", "a2"}, 2,
			counts{map[string]int{"Synced": 1, "OutOfSync": 1}, map[string]int{"Healthy": 1, "Degraded": 1}}},
		{"repos, however spelt", "?repo=https://git.example.com/a&repo=https://git.example.com/c.git", []string{"a1", "a2", "c1"}, 3,
			counts{map[string]int{"Synced": 2, "OutOfSync": 1}, map[string]int{"Healthy": 2, "Degraded": 1}}},
		{"labels", "?selector=team%3Dteam-b", []string{"b1", "b2"}, 2,
			counts{map[string]int{"Synced": 1, "Unknown": 1}, map[string]int{"Progressing": 1, "Unknown": 1}}},
		{"search", "?search=1", []string{"a1", "b1", "c1"}, 3,
			counts{map[string]int{"Synced": 3}, map[string]int{"Healthy": 2, "Progressing": 1}}},
		{"nothing matches", "?search=zzz", []string{}, 0, counts{map[string]int{}, map[string]int{}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, _ := url.Parse(tt.query)
			q, err := parsePageQuery(u.Query())
			if err != nil {
				t.Fatal(err)
			}
			got := pageOf(packAll(apps), q)
			names := []string{}
			for _, s := range got.Items {
				names = append(names, s.Name)
			}
			if diff := cmp.Diff(tt.wantNames, names); diff != "" {
				t.Errorf("page (-want +got):\n%s", diff)
			}
			if got.Total != tt.wantTotal || got.Visible != len(apps) {
				t.Errorf("total %d of %d visible, want %d of %d", got.Total, got.Visible, tt.wantTotal, len(apps))
			}
			if diff := cmp.Diff(tt.want, counts{got.Counts.Sync, got.Counts.Health}); diff != "" {
				t.Errorf("counts (-want +got):\n%s", diff)
			}
			// The filters' options come from every Application.
			if diff := cmp.Diff([]string{"default", "team-a", "team-b"}, got.Options.Projects); diff != "" {
				t.Errorf("project options (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSummarize(t *testing.T) {
	app := pageApp("a1", "", "https://git.example.com/a.git", "https://kubernetes.default.svc", "web", "Synced", "Healthy")
	app.Spec.Destination.Name = "in-cluster"
	app.Status.Sync.Revision = "abc123"
	app.Status.OperationState = &v1alpha1.OperationState{Phase: "Succeeded"}
	want := appSummary{Name: "a1", Namespace: "argocd", Project: "default", Repo: "https://git.example.com/a.git", Path: "a1",
		TargetRevision: "main", Sources: 1, Cluster: "in-cluster", DestNamespace: "web", Sync: "Synced", Health: "Healthy",
		Revision: "abc123", OperationPhase: "Succeeded"}
	if diff := cmp.Diff(want, summarize(appcache.Pack(app))); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}

func TestParsePageQueryRefuses(t *testing.T) {
	for _, query := range []string{"page=0", "page=x", "size=-1", "size=1001", "selector=a%3D%3D%3Db"} {
		v, _ := url.ParseQuery(query)
		if _, err := parsePageQuery(v); err == nil {
			t.Errorf("%s: no error", query)
		}
	}
}

// packAll is apps as the cache holds them.
func packAll(apps []*v1alpha1.Application) []*appcache.Application {
	out := make([]*appcache.Application, len(apps))
	for i, app := range apps {
		out[i] = appcache.Pack(app.DeepCopy())
	}
	return out
}
