package luavm

import (
	"fmt"
	"math"

	lua "github.com/yuin/gopher-lua"
)

// Bounds of a value read back from a script: how deep it nests and how
// many values it holds in all. A script can build a table that holds
// itself; reading it must end.
const (
	maxDepth  = 64
	maxValues = 1 << 20
)

// ToLua converts a value decoded from JSON into Lua: objects and arrays
// become tables (arrays indexed from 1), numbers, strings and booleans
// their Lua kind.
func ToLua(L *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case nil:
		return lua.LNil
	case bool:
		return lua.LBool(v)
	case string:
		return lua.LString(v)
	case int64:
		return lua.LNumber(v)
	case int:
		return lua.LNumber(v)
	case int32:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case map[string]any:
		t := L.CreateTable(0, len(v))
		for k, e := range v {
			t.RawSetString(k, ToLua(L, e))
		}
		return t
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, ToLua(L, e))
		}
		return t
	}
	return lua.LString(fmt.Sprint(v))
}

// FromLua converts a script's value back into JSON values. A table whose
// keys are 1..n becomes an array, any other table an object. Lua cannot
// tell an empty array from an empty object; like tells: where like (the
// value the script was given at the same place, or nil) is an array, an
// empty table is an empty array, else an empty object. Whole numbers
// become int64.
func FromLua(v lua.LValue, like any) (any, error) {
	r := reader{budget: maxValues}
	return r.read(v, like, 0)
}

type reader struct{ budget int }

func (r *reader) read(v lua.LValue, like any, depth int) (any, error) {
	if r.budget--; r.budget < 0 {
		return nil, fmt.Errorf("the script's result holds more than %d values", maxValues)
	}
	switch v := v.(type) {
	case *lua.LNilType:
		return nil, nil
	case lua.LBool:
		return bool(v), nil
	case lua.LString:
		return string(v), nil
	case lua.LNumber:
		f := float64(v)
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), nil
		}
		return f, nil
	case *lua.LTable:
		if depth >= maxDepth {
			return nil, fmt.Errorf("the script's result nests deeper than %d levels", maxDepth)
		}
		return r.table(v, like, depth)
	}
	return nil, fmt.Errorf("the script's result holds a %s, which has no JSON form", v.Type())
}

func (r *reader) table(t *lua.LTable, like any, depth int) (any, error) {
	n := t.MaxN()
	count := 0
	var keyErr error
	t.ForEach(func(k, _ lua.LValue) {
		count++
		if _, ok := k.(lua.LString); !ok && n == 0 && keyErr == nil {
			keyErr = fmt.Errorf("the script's result has a table key of type %s", k.Type())
		}
	})
	if keyErr != nil {
		return nil, keyErr
	}
	if count == 0 {
		if _, ok := like.([]any); ok {
			return []any{}, nil
		}
		return map[string]any{}, nil
	}
	if n > 0 && n == count {
		likeList, _ := like.([]any)
		out := make([]any, n)
		for i := 1; i <= n; i++ {
			var l any
			if i <= len(likeList) {
				l = likeList[i-1]
			}
			e, err := r.read(t.RawGetInt(i), l, depth+1)
			if err != nil {
				return nil, err
			}
			out[i-1] = e
		}
		return out, nil
	}
	likeMap, _ := like.(map[string]any)
	out := make(map[string]any, count)
	var err error
	t.ForEach(func(k, e lua.LValue) {
		if err != nil {
			return
		}
		key, ok := k.(lua.LString)
		if !ok {
			err = fmt.Errorf("the script's result mixes array items and keys")
			return
		}
		var v any
		if v, err = r.read(e, likeMap[string(key)], depth+1); err == nil {
			out[string(key)] = v
		}
	})
	return out, err
}
