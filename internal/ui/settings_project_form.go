package ui

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The project forms write lists as text: one item a line in a textarea,
// kinds as "group/Kind" (just "Kind" for the core group), and short lists
// (a sync window's applications) separated by commas. These functions turn
// that text into the AppProject's fields and back.

func init() {
	addFuncs(template.FuncMap{
		"settingsGroupKinds":   formatGroupKinds,
		"settingsClusterKinds": formatClusterKinds,
		"settingsLines":        func(l []string) string { return strings.Join(l, "\n") },
		"settingsUnix":         unixTime,
		"settingsPathEscape":   url.PathEscape,
		"settingsInc":          func(i int) int { return i + 1 },
	})
}

// formLines are the non-empty lines of a textarea, trimmed.
func formLines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// formList is a comma- or space-separated list, without empty items.
func formList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

// parseGroupKind reads "group/Kind", or "Kind" for the core group.
func parseGroupKind(s string) (metav1.GroupKind, error) {
	group, kind, found := strings.Cut(s, "/")
	if !found {
		group, kind = "", s
	}
	if kind == "" || strings.Contains(kind, "/") {
		return metav1.GroupKind{}, fmt.Errorf("%q is not a kind: write group/Kind, or Kind for the core group", s)
	}
	return metav1.GroupKind{Group: group, Kind: kind}, nil
}

func formatGroupKind(group, kind string) string {
	if group == "" {
		return kind
	}
	return group + "/" + kind
}

// parseGroupKinds reads a textarea of namespaced kinds.
func parseGroupKinds(s string) ([]metav1.GroupKind, error) {
	var out []metav1.GroupKind
	for _, l := range formLines(s) {
		gk, err := parseGroupKind(l)
		if err != nil {
			return nil, err
		}
		out = append(out, gk)
	}
	return out, nil
}

func formatGroupKinds(l []metav1.GroupKind) string {
	lines := make([]string, len(l))
	for i, gk := range l {
		lines[i] = formatGroupKind(gk.Group, gk.Kind)
	}
	return strings.Join(lines, "\n")
}

// parseClusterKinds reads a textarea of cluster-scoped kinds, each
// "group/Kind" with an optional object name after a space.
func parseClusterKinds(s string) ([]v1alpha1.ClusterResourceRestrictionItem, error) {
	var out []v1alpha1.ClusterResourceRestrictionItem
	for _, l := range formLines(s) {
		fields := strings.Fields(l)
		if len(fields) > 2 {
			return nil, fmt.Errorf("%q: write group/Kind and at most one name", l)
		}
		gk, err := parseGroupKind(fields[0])
		if err != nil {
			return nil, err
		}
		item := v1alpha1.ClusterResourceRestrictionItem{Group: gk.Group, Kind: gk.Kind}
		if len(fields) == 2 {
			item.Name = fields[1]
		}
		out = append(out, item)
	}
	return out, nil
}

func formatClusterKinds(l []v1alpha1.ClusterResourceRestrictionItem) string {
	lines := make([]string, len(l))
	for i, it := range l {
		lines[i] = formatGroupKind(it.Group, it.Kind)
		if it.Name != "" {
			lines[i] += " " + it.Name
		}
	}
	return strings.Join(lines, "\n")
}

// parseDestinations reads the rows of the destinations table, each a
// server or a cluster name, and a namespace; empty rows are dropped.
func parseDestinations(servers, names, namespaces []string) ([]v1alpha1.ApplicationDestination, error) {
	at := func(l []string, i int) string {
		if i < len(l) {
			return strings.TrimSpace(l[i])
		}
		return ""
	}
	var out []v1alpha1.ApplicationDestination
	for i := range max(len(servers), len(names), len(namespaces)) {
		d := v1alpha1.ApplicationDestination{Server: at(servers, i), Name: at(names, i), Namespace: at(namespaces, i)}
		switch {
		case d == v1alpha1.ApplicationDestination{}:
			continue
		case d.Server != "" && d.Name != "":
			return nil, fmt.Errorf("destination %d names both a server and a cluster name: give one", i+1)
		case d.Server == "" && d.Name == "":
			return nil, fmt.Errorf("destination %d needs a server or a cluster name (* for any)", i+1)
		}
		out = append(out, d)
	}
	return out, nil
}

// unixTime shows Unix seconds as a UTC time; "never" for 0.
func unixTime(sec int64) string {
	if sec == 0 {
		return "never"
	}
	return time.Unix(sec, 0).UTC().Format("2006-01-02 15:04 UTC")
}
