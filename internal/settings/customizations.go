package settings

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/actions"
	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/health"
)

// The resource.customizations keys of argocd-cm.
const (
	keyBlock       = "resource.customizations"
	prefixHealth   = "resource.customizations.health."
	prefixIgnore   = "resource.customizations.ignoreDifferences."
	prefixActions  = "resource.customizations.actions."
	prefixKnown    = "resource.customizations.knownTypeFields."
	suffixCEL      = ".cel"
	ignoreAllKinds = "all"
)

// customizations are the resource customizations read from argocd-cm.
type customizations struct {
	health map[string]health.Check // by "group/kind"
	ignore []v1alpha1.ResourceIgnoreDifferences
	// known are the knownTypeFields, by "group/kind".
	known map[string][]diff.KnownTypeField
	// actions are the resource actions, by group and kind.
	actions map[schema.GroupKind]*actions.Script
	// unsupported lists the parts of the block capstan does not honour.
	unsupported []string
}

// blockEntry is one group/kind of the resource.customizations block.
// ignoreDifferences may be written as a YAML string or as a mapping.
type blockEntry struct {
	HealthLua         string          `json:"health.lua"`
	HealthCEL         string          `json:"health.cel"`
	UseOpenLibs       bool            `json:"health.lua.useOpenLibs"`
	IgnoreDifferences json.RawMessage `json:"ignoreDifferences"`
	KnownTypeFields   json.RawMessage `json:"knownTypeFields"`
	Actions           json.RawMessage `json:"actions"`
	IgnoreUpdates     json.RawMessage `json:"ignoreResourceUpdates"`
}

// ignoreRule is a system-level ignoreDifferences rule.
type ignoreRule struct {
	JSONPointers          []string `json:"jsonPointers"`
	JQPathExpressions     []string `json:"jqPathExpressions"`
	ManagedFieldsManagers []string `json:"managedFieldsManagers"`
}

// parseCustomizations reads the block and the split keys; a split key
// replaces what the block says of the same group and kind.
func parseCustomizations(cm map[string]string) (*customizations, error) {
	c := &customizations{health: map[string]health.Check{}, actions: map[schema.GroupKind]*actions.Script{}, known: map[string][]diff.KnownTypeField{}}
	ignore := map[string]ignoreRule{}
	if raw := strings.TrimSpace(cm[keyBlock]); raw != "" {
		if err := c.readBlock(raw, ignore); err != nil {
			return nil, fmt.Errorf("%s: %w", keyBlock, err)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(cm)) {
		value := cm[key]
		switch {
		case strings.HasPrefix(key, prefixHealth):
			gk, lang := strings.TrimPrefix(key, prefixHealth), "lua"
			if strings.HasSuffix(gk, suffixCEL) {
				gk, lang = strings.TrimSuffix(gk, suffixCEL), "cel"
			}
			name, err := groupKindOfKey(gk)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			check, err := compile(lang, value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			if lang == "cel" && cm[prefixHealth+gk] != "" {
				return nil, fmt.Errorf("%s: %s has a Lua health script too; set one of them", key, name)
			}
			c.health[name] = check
		case strings.HasPrefix(key, prefixKnown):
			name, err := groupKindOfKey(strings.TrimPrefix(key, prefixKnown))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			if c.known[name], err = readKnownTypes(name, []byte(value)); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
		case strings.HasPrefix(key, prefixActions):
			name, err := groupKindOfKey(strings.TrimPrefix(key, prefixActions))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			script, err := actions.Parse([]byte(value))
			if err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			c.actions[health.ParseGroupKind(name)] = script
		case strings.HasPrefix(key, prefixIgnore):
			gk := strings.TrimPrefix(key, prefixIgnore)
			name := "*/*"
			if gk != ignoreAllKinds {
				var err error
				if name, err = groupKindOfKey(gk); err != nil {
					return nil, fmt.Errorf("%s: %w", key, err)
				}
			}
			var r ignoreRule
			if err := yaml.UnmarshalStrict([]byte(value), &r); err != nil {
				return nil, fmt.Errorf("%s: %w", key, err)
			}
			ignore[name] = r
		}
	}
	for _, name := range slices.Sorted(maps.Keys(ignore)) {
		r := ignore[name]
		gk := health.ParseGroupKind(name)
		rule := v1alpha1.ResourceIgnoreDifferences{Group: gk.Group, Kind: gk.Kind, JSONPointers: r.JSONPointers, JQPathExpressions: r.JQPathExpressions, ManagedFieldsManagers: r.ManagedFieldsManagers}
		if _, err := diff.NewIgnorer([]v1alpha1.ResourceIgnoreDifferences{rule}); err != nil {
			return nil, fmt.Errorf("ignoreDifferences of %s: %w", name, err)
		}
		c.ignore = append(c.ignore, rule)
	}
	return c, nil
}

// readBlock reads the resource.customizations block: a mapping of
// "group/kind" (globs allowed for health) to its customizations.
func (c *customizations) readBlock(raw string, ignore map[string]ignoreRule) error {
	var block map[string]blockEntry
	if err := yaml.Unmarshal([]byte(raw), &block); err != nil {
		return err
	}
	for _, name := range slices.Sorted(maps.Keys(block)) {
		e := block[name]
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("an entry has no group/kind")
		}
		switch {
		case e.HealthLua != "" && e.HealthCEL != "":
			return fmt.Errorf("%s: health.lua and health.cel are both set; set one of them", name)
		case e.HealthLua != "":
			check, err := compile("lua", e.HealthLua)
			if err != nil {
				return fmt.Errorf("%s: health.lua: %w", name, err)
			}
			c.health[name] = check
		case e.HealthCEL != "":
			check, err := compile("cel", e.HealthCEL)
			if err != nil {
				return fmt.Errorf("%s: health.cel: %w", name, err)
			}
			c.health[name] = check
		}
		if len(e.IgnoreDifferences) > 0 && string(e.IgnoreDifferences) != "null" {
			r, err := readIgnoreRule(e.IgnoreDifferences)
			if err != nil {
				return fmt.Errorf("%s: ignoreDifferences: %w", name, err)
			}
			ignore[name] = r
		}
		if len(e.Actions) > 0 && string(e.Actions) != "null" {
			script, err := actions.Parse(e.Actions)
			if err != nil {
				return fmt.Errorf("%s: actions: %w", name, err)
			}
			c.actions[health.ParseGroupKind(name)] = script
		}
		if len(e.KnownTypeFields) > 0 && string(e.KnownTypeFields) != "null" {
			known, err := readKnownTypes(name, e.KnownTypeFields)
			if err != nil {
				return fmt.Errorf("%s: knownTypeFields: %w", name, err)
			}
			c.known[name] = known
		}
		for field, set := range map[string]bool{
			"health.lua.useOpenLibs": e.UseOpenLibs, "ignoreResourceUpdates": len(e.IgnoreUpdates) > 0,
		} {
			if set {
				c.unsupported = append(c.unsupported, fmt.Sprintf("%s: %s (%s: %s)", ConfigMap, keyBlock, name, field))
			}
		}
	}
	return nil
}

// readKnownTypes reads the knownTypeFields of the kind name ("group/kind"):
// a list of {field, type}, or a string that holds one.
func readKnownTypes(name string, raw []byte) ([]diff.KnownTypeField, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		raw = []byte(text)
	}
	var fields []struct {
		Field string `json:"field"`
		Type  string `json:"type"`
	}
	if err := yaml.UnmarshalStrict(raw, &fields); err != nil {
		return nil, err
	}
	gk := health.ParseGroupKind(name)
	out := make([]diff.KnownTypeField, 0, len(fields))
	for i, f := range fields {
		if f.Field == "" {
			return nil, fmt.Errorf("[%d]: field is not set", i)
		}
		if err := diff.CheckKnownType(f.Type); err != nil {
			return nil, fmt.Errorf("[%d] %s: %w", i, f.Field, err)
		}
		out = append(out, diff.KnownTypeField{Group: gk.Group, Kind: gk.Kind, Field: f.Field, Type: f.Type})
	}
	return out, nil
}

// knownTypes lists the knownTypeFields of every kind, in the order of
// their kinds.
func (c *customizations) knownTypes() []diff.KnownTypeField {
	var out []diff.KnownTypeField
	for _, name := range slices.Sorted(maps.Keys(c.known)) {
		out = append(out, c.known[name]...)
	}
	return out
}

// readIgnoreRule reads a rule written as a mapping or as a string that
// holds YAML, as Argo CD's own examples write it.
func readIgnoreRule(raw json.RawMessage) (ignoreRule, error) {
	var r ignoreRule
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		raw = []byte(text)
	}
	err := yaml.UnmarshalStrict(raw, &r)
	return r, err
}

// groupKindOfKey reads the <group>_<kind> of a split key as "group/kind";
// a key without "_" names a kind of the core group.
func groupKindOfKey(gk string) (string, error) {
	i := strings.LastIndex(gk, "_")
	group, kind := gk[:max(i, 0)], gk[i+1:]
	if kind == "" || strings.ContainsAny(kind, "./") {
		return "", fmt.Errorf("%q is not <group>_<kind>", gk)
	}
	return group + "/" + kind, nil
}

func compile(lang, script string) (health.Check, error) {
	if lang == "cel" {
		return health.CEL(script)
	}
	return health.Lua(script)
}

// checks indexes the health checks for the health package.
func (c *customizations) checks() *health.Checks {
	if len(c.health) == 0 {
		return nil
	}
	return health.NewChecks(c.health)
}
