package actions

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/internal/luavm"
)

// Script is the actions of one group and kind: a discovery script and the
// definition of each action, compiled.
type Script struct {
	discovery   *lua.FunctionProto
	definitions map[string]*lua.FunctionProto
	merge       bool
}

// config is how argocd-cm writes a group and kind's actions.
type config struct {
	Discovery   string `json:"discovery.lua"`
	Definitions []struct {
		Name string `json:"name"`
		Lua  string `json:"action.lua"`
	} `json:"definitions"`
	MergeBuiltinActions bool `json:"mergeBuiltinActions"`
}

// Parse reads and compiles the actions of a group and kind, written as
// argocd-cm writes them: YAML with discovery.lua, definitions (name and
// action.lua each) and mergeBuiltinActions. raw may also be a JSON string
// that holds that YAML, as the resource.customizations block has it.
func Parse(raw []byte) (*Script, error) {
	var text string
	if err := json.Unmarshal(raw, &text); err == nil {
		raw = []byte(text)
	}
	var c config
	if err := yaml.UnmarshalStrict(raw, &c); err != nil {
		return nil, err
	}
	if strings.TrimSpace(c.Discovery) == "" {
		return nil, fmt.Errorf("discovery.lua is not set")
	}
	s := &Script{definitions: map[string]*lua.FunctionProto{}, merge: c.MergeBuiltinActions}
	var err error
	if s.discovery, err = luavm.Compile("discovery.lua", c.Discovery); err != nil {
		return nil, fmt.Errorf("discovery.lua: %w", err)
	}
	for _, d := range c.Definitions {
		if d.Name == "" {
			return nil, fmt.Errorf("a definition has no name")
		}
		if _, dup := s.definitions[d.Name]; dup {
			return nil, fmt.Errorf("action %s is defined twice", d.Name)
		}
		if s.definitions[d.Name], err = luavm.Compile(d.Name+"/action.lua", d.Lua); err != nil {
			return nil, fmt.Errorf("action %s: %w", d.Name, err)
		}
	}
	return s, nil
}

// discover runs the discovery script, which returns a table of action
// name to {disabled, iconClass, displayName, params}. Only actions the
// script defines are listed.
func (s *Script) discover(ctx context.Context, obj *unstructured.Unstructured) ([]Action, error) {
	var out []Action
	err := luavm.Run(ctx, s.discovery, setObject(obj, nil), func(ret lua.LValue) error {
		v, err := luavm.FromLua(ret, nil)
		if err != nil {
			return err
		}
		if v == nil {
			return nil
		}
		table, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("discovery.lua returned %T, not a table of actions by name", v)
		}
		for name, entry := range table {
			a, err := readAction(name, entry)
			if err != nil {
				return err
			}
			if _, defined := s.definitions[name]; defined {
				out = append(out, a)
			}
		}
		return nil
	})
	return out, err
}

func readAction(name string, entry any) (Action, error) {
	data, err := json.Marshal(entry)
	if err != nil {
		return Action{}, err
	}
	a := Action{}
	if err := json.Unmarshal(data, &a); err != nil {
		return Action{}, fmt.Errorf("discovery.lua: action %s: %w", name, err)
	}
	a.Name = name
	return a, nil
}

// setObject sets the globals obj and actionParams.
func setObject(obj *unstructured.Unstructured, params map[string]string) luavm.Globals {
	return func(L *lua.LState) {
		L.SetGlobal("obj", luavm.ToLua(L, obj.Object))
		t := L.CreateTable(0, len(params))
		for k, v := range params {
			t.RawSetString(k, lua.LString(v))
		}
		L.SetGlobal("actionParams", t)
	}
}

// run runs an action script. It returns either the object, changed (a
// patch of obj), or a list of {operation = "patch"|"create", resource}.
func run(ctx context.Context, def *lua.FunctionProto, obj *unstructured.Unstructured, params map[string]string) ([]Operation, error) {
	var ops []Operation
	err := luavm.Run(ctx, def, setObject(obj, params), func(ret lua.LValue) error {
		t, ok := ret.(*lua.LTable)
		if !ok {
			return fmt.Errorf("returned a %s, not the object or a list of operations", ret.Type())
		}
		if t.MaxN() == 0 {
			v, err := luavm.FromLua(t, obj.Object)
			if err != nil {
				return err
			}
			o, err := readObject(v, obj)
			ops = []Operation{{Type: OpPatch, Object: o}}
			return err
		}
		var err error
		ops, err = readOperations(t, obj)
		return err
	})
	return ops, err
}

// readOperations reads the list form of an action's result.
func readOperations(t *lua.LTable, obj *unstructured.Unstructured) ([]Operation, error) {
	var ops []Operation
	for i := 1; i <= t.MaxN(); i++ {
		entry, ok := t.RawGetInt(i).(*lua.LTable)
		if !ok {
			return nil, fmt.Errorf("operation %d is not a table with operation and resource", i)
		}
		op, _ := entry.RawGetString("operation").(lua.LString)
		if op != OpPatch && op != OpCreate {
			return nil, fmt.Errorf("operation %d is %q; want patch or create", i, op)
		}
		var like any
		if op == OpPatch {
			like = obj.Object
		}
		v, err := luavm.FromLua(entry.RawGetString("resource"), like)
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		o, err := readObject(v, nil)
		if err != nil {
			return nil, fmt.Errorf("operation %d: %w", i, err)
		}
		ops = append(ops, Operation{Type: string(op), Object: o})
	}
	return ops, nil
}

// readObject checks that v is an object with a kind and a name; same, when
// set, is the object the action was run on, which v must still name.
func readObject(v any, same *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("resource is %T, not an object", v)
	}
	o := &unstructured.Unstructured{Object: m}
	if o.GetKind() == "" || o.GetAPIVersion() == "" || o.GetName() == "" {
		return nil, fmt.Errorf("resource has no apiVersion, kind or metadata.name")
	}
	if same != nil && (o.GroupVersionKind() != same.GroupVersionKind() || o.GetName() != same.GetName() || o.GetNamespace() != same.GetNamespace()) {
		return nil, fmt.Errorf("the result names %s, not the object the action ran on", describe(o))
	}
	return o, nil
}
