package source

import (
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// InvalidateChart makes the next Resolve download the repository's index
// again within the poll interval, and leaves other repositories' listings.
func TestInvalidateChart(t *testing.T) {
	opts := registry.HelmRepoOptions{Username: helmUser, Password: helmPassword}
	first, second := helmRepoFixture(t, false, opts), helmRepoFixture(t, false, opts)
	charts, _ := testCharts(t)
	resolve := func(srv *registry.HelmRepo) {
		t.Helper()
		r := Repository{URL: srv.URL, Type: "helm", Username: helmUser, Password: helmPassword}
		if _, err := charts.Resolve(t.Context(), r, "guestbook", "1.*"); err != nil {
			t.Fatal(err)
		}
	}
	resolve(first)
	resolve(second)
	charts.InvalidateChart(first.URL, "guestbook")
	resolve(first)
	resolve(second)
	if got := first.Requests("/index.yaml"); got != 2 {
		t.Errorf("the invalidated repository's index was fetched %d times, want 2", got)
	}
	if got := second.Requests("/index.yaml"); got != 1 {
		t.Errorf("another repository's index was fetched %d times, want 1", got)
	}
}
