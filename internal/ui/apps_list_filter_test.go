package ui

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseListFilter(t *testing.T) {
	tests := []struct {
		name  string
		query string
		want  listFilter
	}{
		{"nothing", "", listFilter{View: "tiles", Page: 1, Size: 100}},
		{"repeated and comma-separated values, blanks and repeats dropped", "project=a,%20b&project=c&project=a&sync=Synced&cluster=",
			listFilter{Projects: []string{"a", "b", "c"}, Sync: []string{"Synced"}, View: "tiles", Page: 1, Size: 100}},
		{"labels split outside parentheses", "label=env+in+(a,b),tier=web&label=team%3Dx",
			listFilter{Labels: []string{"env in (a,b)", "tier=web", "team=x"}, View: "tiles", Page: 1, Size: 100}},
		{"table view, page and size", "view=table&page=3&size=20&search=+web+",
			listFilter{Search: "web", View: "table", Page: 3, Size: 20}},
		{"unreadable page, size and view are the defaults", "view=cards&page=-2&size=100000",
			listFilter{View: "tiles", Page: 1, Size: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q, err := url.ParseQuery(tt.query)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, parseListFilter(q)); diff != "" {
				t.Errorf("filter (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListFilterURLs(t *testing.T) {
	f := listFilter{Projects: []string{"a"}, Sync: []string{"Synced"}, Labels: []string{"env in (x,y)"}, Search: "web", View: "table", Page: 3, Size: 20}
	tests := []struct{ name, got, want string }{
		{"the page itself", f.URL(), "/applications?label=env+in+%28x%2Cy%29&page=3&project=a&search=web&size=20&sync=Synced&view=table"},
		{"a status added, back to page 1", f.Toggle("sync", "OutOfSync"), "/applications?label=env+in+%28x%2Cy%29&project=a&search=web&size=20&sync=Synced&sync=OutOfSync&view=table"},
		{"a status taken out", f.Toggle("sync", "Synced"), "/applications?label=env+in+%28x%2Cy%29&project=a&search=web&size=20&view=table"},
		{"another page", f.PageURL(4), "/applications?label=env+in+%28x%2Cy%29&page=4&project=a&search=web&size=20&sync=Synced&view=table"},
		{"another view", f.ViewURL("tiles"), "/applications?label=env+in+%28x%2Cy%29&page=3&project=a&search=web&size=20&sync=Synced"},
		{"cleared, keeping view and size", f.ClearURL(), "/applications?size=20&view=table"},
		{"the API's page", "?" + f.apiQuery(20).Encode(), "?page=3&project=a&search=web&selector=env+in+%28x%2Cy%29&size=20&sync=Synced"},
		{"the stream", "?" + listFilter{Repos: []string{"r"}, Sync: []string{"Synced"}}.streamQuery("42").Encode(),
			"?fields=result.type%2Cresult.application.metadata.name%2Cresult.application.status.sync.status%2Cresult.application.status.health.status%2Cresult.application.status.operationState.phase&repo=r&resourceVersion=42"},
		{"the empty filter", listFilter{View: "tiles", Page: 1, Size: 100}.URL(), "/applications"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, tt.got, tt.want)
		}
	}
	// A round trip through the URL keeps the filter.
	u, _ := url.Parse(f.URL())
	if diff := cmp.Diff(f, parseListFilter(u.Query())); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

func TestListView(t *testing.T) {
	page := func(total, items int) appsPage {
		var p appsPage
		p.Total, p.Items = total, make([]appSummary, items)
		p.Counts.Sync = map[string]int{"Synced": 2, "Drifting": 1}
		return p
	}
	type pages struct {
		From, To   int
		Prev, Next string
	}
	tests := []struct {
		name string
		f    listFilter
		p    appsPage
		want pages
	}{
		{"one page", listFilter{Page: 1, Size: 10}, page(3, 3), pages{1, 3, "", ""}},
		{"first of three", listFilter{Page: 1, Size: 10}, page(25, 10), pages{1, 10, "", "/applications?page=2&size=10"}},
		{"last of three", listFilter{Page: 3, Size: 10}, page(25, 5), pages{21, 25, "/applications?page=2&size=10", ""}},
		{"past the end leads back to the last page", listFilter{Page: 9, Size: 10}, page(25, 0), pages{0, 0, "/applications?page=3&size=10", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.View = viewTiles
			v := listView(tt.f, tt.p)
			if diff := cmp.Diff(tt.want, pages{v.From, v.To, v.Prev, v.Next}); diff != "" {
				t.Errorf("pages (-want +got):\n%s", diff)
			}
		})
	}
	// Without a version to start from, no stream: it would begin with
	// every Application.
	if v := listView(listFilter{View: viewTiles, Page: 1, Size: 100}, page(3, 3)); v.Stream != "" {
		t.Errorf("a page without a resourceVersion streams from %s", v.Stream)
	}
	// The known statuses always, then others seen, each with its count.
	v := listView(listFilter{View: viewTiles, Page: 1, Size: 100, Sync: []string{"Synced"}}, page(3, 3))
	var got []statusCount
	for _, c := range v.SyncCounts {
		c.URL = ""
		got = append(got, c)
	}
	want := []statusCount{{Name: "Synced", Count: 2, On: true}, {Name: "OutOfSync"}, {Name: "Unknown"}, {Name: "Drifting", Count: 1}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sync counts (-want +got):\n%s", diff)
	}
}
