package server

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func queryApp(name, project, repo, rv string, labels map[string]string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels, ResourceVersion: rv},
		Spec:       v1alpha1.ApplicationSpec{Project: project, Source: &v1alpha1.ApplicationSource{RepoURL: repo}},
	}
}

func TestAppQueryMatches(t *testing.T) {
	apps := []*v1alpha1.Application{
		queryApp("guestbook", "", "https://git.example.com/apps.git", "10", map[string]string{"team": "a"}),
		queryApp("guestbook-prod", "prod", "https://git.example.com/apps", "20", map[string]string{"team": "b"}),
		queryApp("billing", "prod", "git@git.example.com:other.git", "30", nil),
	}
	tests := []struct {
		name  string
		query string
		want  []string
	}{
		{"no filter", "", []string{"guestbook", "guestbook-prod", "billing"}},
		{"repeated projects", "projects=default&projects=prod", []string{"guestbook", "guestbook-prod", "billing"}},
		{"one project, default for none", "projects=default", []string{"guestbook"}},
		{"older spelling project", "project=prod", []string{"guestbook-prod", "billing"}},
		{"comma-separated projects", "projects=default,nope", []string{"guestbook"}},
		{"selector", "selector=team%3Da", []string{"guestbook"}},
		{"set selector", "selector=team+in+(a,b)", []string{"guestbook", "guestbook-prod"}},
		{"search is a substring", "search=book-", []string{"guestbook-prod"}},
		{"name", "name=billing", []string{"billing"}},
		{"repo however spelt", "repo=https://GIT.example.com/apps/", []string{"guestbook", "guestbook-prod"}},
		{"resourceVersion leaves out older", "resourceVersion=20", []string{"guestbook-prod", "billing"}},
		{"filters combine", "projects=prod&search=guest", []string{"guestbook-prod"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			q, err := parseAppQuery(v)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, app := range packAll(apps) {
				if q.matches(app) {
					got = append(got, app.Name)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matching (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAppQueryRefusesBadSelector(t *testing.T) {
	if _, err := parseAppQuery(url.Values{"selector": {"a in (b"}}); err == nil {
		t.Error("a selector that does not parse was accepted")
	}
}

func TestParseAppQueryFields(t *testing.T) {
	q, err := parseAppQuery(url.Values{"fields": {"items.metadata.name, items.spec.project", "metadata.resourceVersion"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"items.metadata.name", "items.spec.project", "metadata.resourceVersion"}, q.Fields); diff != "" {
		t.Errorf("fields (-want +got):\n%s", diff)
	}
}
