package ui

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Views of the Applications list.
const (
	viewTiles = "tiles"
	viewTable = "table"
)

// defaultListSize is how many Applications a page of the list shows.
const defaultListSize = 100

// listFilter is what the Applications page shows, as its URL says:
// filters with any number of values each, a search, the view and the page.
// The URL is the whole state of the page, so that a view can be shared.
type listFilter struct {
	Projects   []string
	Sync       []string
	Health     []string
	Clusters   []string
	Namespaces []string
	// Labels are label selector terms (k=v, k!=v, k in (a,b)); all must
	// match.
	Labels []string
	Repos  []string
	// Search keeps the Applications whose name contains it.
	Search string
	View   string
	// Page counts from 1.
	Page, Size int
}

// listParam is the URL's query parameter of a multi-valued filter.
type listParam struct {
	key   string
	field func(*listFilter) *[]string
}

// listParams are the multi-valued filters.
var listParams = []listParam{
	{"project", func(f *listFilter) *[]string { return &f.Projects }},
	{"sync", func(f *listFilter) *[]string { return &f.Sync }},
	{"health", func(f *listFilter) *[]string { return &f.Health }},
	{"cluster", func(f *listFilter) *[]string { return &f.Clusters }},
	{"namespace", func(f *listFilter) *[]string { return &f.Namespaces }},
	{"label", func(f *listFilter) *[]string { return &f.Labels }},
	{"repo", func(f *listFilter) *[]string { return &f.Repos }},
}

// parseListFilter reads the page's query. Each filter may repeat or list
// values separated by commas, as the filter form sends them; labels are
// split by the selector's own rules. A page or size that cannot be read
// is the default.
func parseListFilter(q url.Values) listFilter {
	f := listFilter{Search: strings.TrimSpace(q.Get("search")), View: viewTiles, Page: 1, Size: defaultListSize}
	for _, p := range listParams {
		if p.key == "label" {
			*p.field(&f) = splitSelector(q[p.key])
		} else {
			*p.field(&f) = splitValues(q[p.key])
		}
	}
	if q.Get("view") == viewTable {
		f.View = viewTable
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		f.Page = n
	}
	if n, err := strconv.Atoi(q.Get("size")); err == nil && n > 0 && n <= 1000 {
		f.Size = n
	}
	return f
}

// splitValues flattens repeated, comma-separated values, without blanks
// or repeats.
func splitValues(values []string) []string {
	var out []string
	for _, v := range values {
		for part := range strings.SplitSeq(v, ",") {
			if part = strings.TrimSpace(part); part != "" && !slices.Contains(out, part) {
				out = append(out, part)
			}
		}
	}
	return out
}

// splitSelector splits label selector terms at the commas outside
// parentheses, so that "env in (a,b),tier=web" is two terms.
func splitSelector(values []string) []string {
	var out []string
	for _, v := range values {
		depth, start := 0, 0
		for i := 0; i <= len(v); i++ {
			if i < len(v) {
				switch v[i] {
				case '(':
					depth++
					continue
				case ')':
					depth--
					continue
				case ',':
					if depth > 0 {
						continue
					}
				default:
					continue
				}
			}
			if term := strings.TrimSpace(v[start:i]); term != "" && !slices.Contains(out, term) {
				out = append(out, term)
			}
			start = i + 1
		}
	}
	return out
}

// values is the page's query for f, each filter's values repeated.
func (f listFilter) values() url.Values {
	q := url.Values{}
	for _, p := range listParams {
		if vs := *p.field(&f); len(vs) > 0 {
			q[p.key] = slices.Clone(vs)
		}
	}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	if f.View != viewTiles {
		q.Set("view", f.View)
	}
	if f.Page > 1 {
		q.Set("page", strconv.Itoa(f.Page))
	}
	if f.Size != defaultListSize {
		q.Set("size", strconv.Itoa(f.Size))
	}
	return q
}

// URL is the page's address for f.
func (f listFilter) URL() string {
	if q := f.values(); len(q) > 0 {
		return "/applications?" + q.Encode()
	}
	return "/applications"
}

// Filtered reports whether any filter is set.
func (f listFilter) Filtered() bool {
	return f.Search != "" || slices.ContainsFunc(listParams, func(p listParam) bool { return len(*p.field(&f)) > 0 })
}

// apiQuery is the query of the API's page of Applications for f, with
// size Applications a page (0: the counts alone).
func (f listFilter) apiQuery(size int) url.Values {
	q := url.Values{}
	for _, p := range listParams {
		key := p.key
		if key == "label" {
			continue
		}
		if vs := *p.field(&f); len(vs) > 0 {
			q[key] = slices.Clone(vs)
		}
	}
	if len(f.Labels) > 0 {
		q.Set("selector", strings.Join(f.Labels, ","))
	}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	q.Set("page", strconv.Itoa(f.Page))
	q.Set("size", strconv.Itoa(size))
	return q
}

// streamQuery is the query of the API's event stream for the Applications
// f may show, from resourceVersion on, keeping only what the page updates.
// The stream filters by project, labels, search and one repository; the
// page's script checks the rest.
func (f listFilter) streamQuery(resourceVersion string) url.Values {
	q := url.Values{"resourceVersion": {resourceVersion}, "fields": {strings.Join([]string{
		"result.type", "result.application.metadata.name",
		"result.application.status.sync.status", "result.application.status.health.status",
		"result.application.status.operationState.phase",
	}, ",")}}
	if len(f.Projects) > 0 {
		q["projects"] = slices.Clone(f.Projects)
	}
	if len(f.Labels) > 0 {
		q.Set("selector", strings.Join(f.Labels, ","))
	}
	if f.Search != "" {
		q.Set("search", f.Search)
	}
	if len(f.Repos) == 1 {
		q.Set("repo", f.Repos[0])
	}
	return q
}

// Toggle is the page's address with value added to the filter key, or
// taken out when it is there, back on the first page.
func (f listFilter) Toggle(key, value string) string {
	vs := fieldOf(&f, key)
	if i := slices.Index(*vs, value); i >= 0 {
		*vs = slices.Delete(slices.Clone(*vs), i, i+1)
	} else {
		*vs = append(slices.Clone(*vs), value)
	}
	f.Page = 1
	return f.URL()
}

// Has reports whether the filter key holds value.
func (f listFilter) Has(key, value string) bool {
	return slices.Contains(*fieldOf(&f, key), value)
}

// PageURL is the page's address at page n.
func (f listFilter) PageURL(n int) string {
	f.Page = n
	return f.URL()
}

// ViewURL is the page's address in view v.
func (f listFilter) ViewURL(v string) string {
	f.View = v
	return f.URL()
}

// ClearURL is the page's address without filters, in the same view.
func (f listFilter) ClearURL() string {
	return listFilter{View: f.View, Page: 1, Size: f.Size}.URL()
}

// Joined is the values of the filter key as the form's text field holds
// them.
func (f listFilter) Joined(key string) string {
	return strings.Join(*fieldOf(&f, key), ", ")
}
