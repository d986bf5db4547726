package server

import (
	"strings"

	"sigs.k8s.io/yaml"
)

// resourceOverride is Argo CD's ResourceOverride: the customizations of
// one kind, keyed by "group/kind" (just "kind" for the core group).
type resourceOverride struct {
	HealthLua             string `json:"health.lua,omitempty"`
	Actions               string `json:"actions,omitempty"`
	IgnoreDifferences     string `json:"ignoreDifferences,omitempty"`
	IgnoreResourceUpdates string `json:"ignoreResourceUpdates,omitempty"`
	KnownTypeFields       string `json:"knownTypeFields,omitempty"`
}

// overrideFields are the per-kind argocd-cm keys,
// resource.customizations.<field>.<group_kind>.
var overrideFields = []struct {
	prefix string
	set    func(*resourceOverride, string)
}{
	{"resource.customizations.health.", func(o *resourceOverride, v string) { o.HealthLua = v }},
	{"resource.customizations.actions.", func(o *resourceOverride, v string) { o.Actions = v }},
	{"resource.customizations.ignoreDifferences.", func(o *resourceOverride, v string) { o.IgnoreDifferences = v }},
	{"resource.customizations.ignoreResourceUpdates.", func(o *resourceOverride, v string) { o.IgnoreResourceUpdates = v }},
	{"resource.customizations.knownTypeFields.", func(o *resourceOverride, v string) { o.KnownTypeFields = v }},
}

// resourceOverrides gathers the resource customizations of argocd-cm: the
// resource.customizations block, then the per-kind keys over it.
func resourceOverrides(cm map[string]string) map[string]resourceOverride {
	out := map[string]resourceOverride{}
	if raw := strings.TrimSpace(cm["resource.customizations"]); raw != "" {
		var block map[string]resourceOverride
		if yaml.Unmarshal([]byte(raw), &block) == nil {
			for k, v := range block {
				out[k] = v
			}
		}
	}
	for key, value := range cm {
		for _, f := range overrideFields {
			gk, ok := strings.CutPrefix(key, f.prefix)
			if !ok || gk == "" {
				continue
			}
			name := overrideKey(gk)
			o := out[name]
			f.set(&o, value)
			out[name] = o
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// overrideKey turns a key's <group>_<kind> into group/kind; a kind of
// the core group has no group part.
func overrideKey(gk string) string {
	i := strings.LastIndex(gk, "_")
	if i < 0 {
		return gk
	}
	return gk[:i] + "/" + gk[i+1:]
}
