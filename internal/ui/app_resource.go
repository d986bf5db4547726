package ui

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
)

// resourcePanel is the panel of one resource of the Application page:
// one tab at a time, each a link so that it works without scripts.
type resourcePanel struct {
	Key                                   string
	Group, Version, Kind, Namespace, Name string
	Node                                  *appNode
	// Tab is "live", "desired", "diff" or "events"; Tabs all of them.
	Tab  string
	Tabs []string
	// Layout of the diff: "unified" or "split" (side by side).
	Layout string
	// Manifest is the YAML of the live or desired tab.
	Manifest string
	Diff     *manifestDiff
	Events   []resourceEvent
	// Error says why the tab could not be filled.
	Error string
}

// resourceTabs are the panel's tabs, in their order.
var resourceTabs = []string{"live", "desired", "diff", "events"}

// resourceEvent is one Kubernetes Event of a resource.
type resourceEvent struct {
	Type           string `json:"type"`
	Reason         string `json:"reason"`
	Message        string `json:"message"`
	Count          int    `json:"count"`
	FirstTimestamp string `json:"firstTimestamp"`
	LastTimestamp  string `json:"lastTimestamp"`
	EventTime      string `json:"eventTime"`
}

// managedResource is one item of the API's /managed-resources: an
// object's desired (target) and live states as JSON, Secrets masked.
type managedResource struct {
	Group       string `json:"group"`
	Kind        string `json:"kind"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	TargetState string `json:"targetState"`
	LiveState   string `json:"liveState"`
}

// loadResource fills the panel of the resource key, tab tab, of the page
// v (whose tree is loaded: it gives the resource's API version).
func loadResource(c *call, v *appView, key, tab, layout string) *resourcePanel {
	p := &resourcePanel{Key: key, Tab: tab, Tabs: resourceTabs, Layout: layout}
	if p.Tab == "" {
		p.Tab = "live"
	}
	if p.Layout != "split" {
		p.Layout = "unified"
	}
	var ok bool
	p.Group, p.Kind, p.Namespace, p.Name, ok = parseResourceKey(key)
	if !ok {
		p.Error = fmt.Sprintf("%q does not name a resource: it should be group/kind/namespace/name.", key)
		return p
	}
	for _, n := range v.Flat {
		if n.Key == key {
			p.Node, p.Version = n, n.Version
		}
	}
	var err error
	switch p.Tab {
	case "live":
		err = p.loadLive(c, v)
	case "desired", "diff":
		err = p.loadDesired(c, v)
	case "events":
		err = p.loadEvents(c, v)
	default:
		err = fmt.Errorf("there is no tab %q", p.Tab)
	}
	if err != nil {
		p.Error = err.Error()
	}
	return p
}

func (p *resourcePanel) loadLive(c *call, v *appView) error {
	if p.Version == "" {
		return fmt.Errorf("%s %s is not in the cluster", p.Kind, p.Name)
	}
	var out struct {
		Manifest string `json:"manifest"`
	}
	q := url.Values{"group": {p.Group}, "version": {p.Version}, "kind": {p.Kind}, "namespace": {p.Namespace}, "resourceName": {p.Name}}
	if err := c.get(appAPI(v.App.Namespace, v.App.Name, q, "resource"), &out); err != nil {
		return err
	}
	m, err := manifestYAML(out.Manifest)
	if err != nil {
		return fmt.Errorf("read the live manifest of %s %s: %w", p.Kind, p.Name, err)
	}
	p.Manifest = m
	return nil
}

// loadDesired reads the desired and live states of the resource from the
// API's comparison of the app, for the desired and diff tabs.
func (p *resourcePanel) loadDesired(c *call, v *appView) error {
	var out struct {
		Items []managedResource `json:"items"`
	}
	if err := c.get(appAPI(v.App.Namespace, v.App.Name, nil, "managed-resources"), &out); err != nil {
		return err
	}
	for _, it := range out.Items {
		if it.Group != p.Group || it.Kind != p.Kind || it.Namespace != p.Namespace || it.Name != p.Name {
			continue
		}
		if p.Tab == "desired" {
			m, err := manifestYAML(it.TargetState)
			if err != nil {
				return fmt.Errorf("read the desired manifest of %s %s: %w", p.Kind, p.Name, err)
			}
			p.Manifest = m
			return nil
		}
		d, err := diffManifests(it.LiveState, it.TargetState)
		if err != nil {
			return fmt.Errorf("compare %s %s: %w", p.Kind, p.Name, err)
		}
		p.Diff = &d
		return nil
	}
	return fmt.Errorf("%s %s is not deployed by the application itself, so it has no desired state", p.Kind, p.Name)
}

func (p *resourcePanel) loadEvents(c *call, v *appView) error {
	var out struct {
		Items []json.RawMessage `json:"items"`
	}
	q := url.Values{"resourceName": {p.Name}, "resourceNamespace": {p.Namespace}}
	if p.Node != nil && p.Node.UID != "" {
		// The UID tells apart objects of different kinds with one name.
		q = url.Values{"resourceUID": {p.Node.UID}}
	}
	if err := c.get(appAPI(v.App.Namespace, v.App.Name, q, "events"), &out); err != nil {
		return err
	}
	for _, raw := range out.Items {
		var e resourceEvent
		if err := json.Unmarshal(raw, &e); err != nil {
			return fmt.Errorf("read an event of %s %s: %w", p.Kind, p.Name, err)
		}
		if e.LastTimestamp == "" {
			e.LastTimestamp = e.EventTime
		}
		p.Events = append(p.Events, e)
	}
	// Newest first.
	sort.SliceStable(p.Events, func(i, j int) bool { return p.Events[i].LastTimestamp > p.Events[j].LastTimestamp })
	return nil
}
