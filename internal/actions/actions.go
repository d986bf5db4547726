// Package actions runs resource actions: small Lua programs, built in or
// from argocd-cm (resource.customizations.actions.<group>_<kind> and the
// actions field of the resource.customizations block), that a user starts
// on one live object, such as restarting a Deployment or creating a Job
// from a CronJob. Discovery tells which actions an object offers; running
// one returns the objects to patch or create, which Apply writes. The
// scripts run in luavm's sandbox.
package actions

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Action is one action an object offers, in Argo CD's JSON shape.
type Action struct {
	Name        string  `json:"name"`
	Params      []Param `json:"params,omitempty"`
	Disabled    bool    `json:"disabled,omitempty"`
	IconClass   string  `json:"iconClass,omitempty"`
	DisplayName string  `json:"displayName,omitempty"`
}

// Param is a parameter an action takes; a run gives its value as a string.
type Param struct {
	Name    string `json:"name"`
	Value   string `json:"value,omitempty"`
	Type    string `json:"type,omitempty"`
	Default string `json:"default,omitempty"`
}

// The operations a run returns.
const (
	OpPatch  = "patch"
	OpCreate = "create"
)

// Operation is one write an action asks for: patch an existing object to
// the state Object holds, or create Object.
type Operation struct {
	Type   string
	Object *unstructured.Unstructured
}

// Set is the actions of an installation: the built-in ones and those of
// the settings, by group and kind. A customization replaces the built-in
// actions of its kind unless it sets mergeBuiltinActions. The zero value
// and nil hold the built-in actions only.
type Set struct {
	custom map[schema.GroupKind]*Script
}

// NewSet indexes customizations by group and kind.
func NewSet(custom map[schema.GroupKind]*Script) *Set {
	return &Set{custom: custom}
}

// scripts are the scripts that serve gk, the winning one last.
func (s *Set) scripts(gk schema.GroupKind) []*Script {
	var out []*Script
	var c *Script
	if s != nil {
		c = s.custom[gk]
	}
	if b := builtin()[gk]; b != nil && (c == nil || c.merge) {
		out = append(out, b)
	}
	if c != nil {
		out = append(out, c)
	}
	return out
}

// Discover lists the actions obj offers, sorted by name.
func (s *Set) Discover(ctx context.Context, obj *unstructured.Unstructured) ([]Action, error) {
	found := map[string]Action{}
	for _, sc := range s.scripts(obj.GroupVersionKind().GroupKind()) {
		list, err := sc.discover(ctx, obj)
		if err != nil {
			return nil, &ScriptError{fmt.Errorf("discover actions of %s: %w", describe(obj), err)}
		}
		for _, a := range list {
			found[a.Name] = a
		}
	}
	out := make([]Action, 0, len(found))
	for _, name := range slices.Sorted(maps.Keys(found)) {
		out = append(out, found[name])
	}
	return out, nil
}

// Run runs the action name on obj with params (name to value) and returns
// the writes it asks for. An action obj does not offer, or offers
// disabled, is refused.
func (s *Set) Run(ctx context.Context, obj *unstructured.Unstructured, name string, params map[string]string) ([]Operation, error) {
	offered, err := s.Discover(ctx, obj)
	if err != nil {
		return nil, err
	}
	i := slices.IndexFunc(offered, func(a Action) bool { return a.Name == name })
	switch {
	case i < 0:
		return nil, &UnknownError{Action: name, Object: describe(obj)}
	case offered[i].Disabled:
		return nil, &UnknownError{Action: name, Object: describe(obj), Disabled: true}
	}
	scripts := s.scripts(obj.GroupVersionKind().GroupKind())
	for _, sc := range slices.Backward(scripts) {
		if def, ok := sc.definitions[name]; ok {
			ops, err := run(ctx, def, obj, params)
			if err != nil {
				return nil, &ScriptError{fmt.Errorf("run action %s on %s: %w", name, describe(obj), err)}
			}
			return ops, nil
		}
	}
	return nil, &UnknownError{Action: name, Object: describe(obj)}
}

// ScriptError is a discovery or action script that failed: an error of
// the settings, not of the object or the caller.
type ScriptError struct{ err error }

func (e *ScriptError) Error() string { return e.err.Error() }
func (e *ScriptError) Unwrap() error { return e.err }

// UnknownError says an object does not offer an action, or offers it
// disabled.
type UnknownError struct {
	Action, Object string
	Disabled       bool
}

func (e *UnknownError) Error() string {
	if e.Disabled {
		return fmt.Sprintf("action %s of %s is disabled", e.Action, e.Object)
	}
	return fmt.Sprintf("%s has no action %s", e.Object, e.Action)
}

func describe(obj *unstructured.Unstructured) string {
	if ns := obj.GetNamespace(); ns != "" {
		return fmt.Sprintf("%s %s/%s", obj.GetKind(), ns, obj.GetName())
	}
	return fmt.Sprintf("%s %s", obj.GetKind(), obj.GetName())
}
