package luavm

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	lua "github.com/yuin/gopher-lua"
)

// eval runs script with obj set to like and reads back its result.
func eval(t *testing.T, script string, like any) (any, error) {
	t.Helper()
	proto, err := Compile("test.lua", script)
	if err != nil {
		t.Fatal(err)
	}
	var got any
	err = Run(context.Background(), proto, func(L *lua.LState) { L.SetGlobal("obj", ToLua(L, like)) }, func(v lua.LValue) error {
		var err error
		got, err = FromLua(v, like)
		return err
	})
	return got, err
}

func TestFromLua(t *testing.T) {
	obj := map[string]any{"list": []any{}, "map": map[string]any{}, "n": int64(3), "f": 1.5, "s": "x", "items": []any{map[string]any{"args": []any{}}}}
	tests := []struct {
		name, script string
		want         any
	}{
		{"a round trip keeps empty lists and maps apart", `return obj`, obj},
		{"whole numbers are integers", `return {a = 2 * 3, b = 7 / 2}`, map[string]any{"a": int64(6), "b": 3.5}},
		{"a sequence is an array", `return {"a", "b"}`, []any{"a", "b"}},
		{"a nil field is gone", `obj.n = nil obj.items = nil obj.list = nil obj.map = nil obj.f = nil return obj`, map[string]any{"s": "x"}},
		{"nil", `return nil`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := eval(t, tt.script, obj)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromLuaRefusesWhatHasNoJSONForm(t *testing.T) {
	for _, tt := range []struct{ name, script, want string }{
		{"a cycle", `local t = {} t.t = t return t`, "nests deeper"},
		{"a function", `return {f = function() end}`, "no JSON form"},
		{"mixed keys", `return {1, 2, a = 3}`, "mixes array items and keys"},
		{"a sparse array", `return {[1] = 1, [3] = 3}`, "mixes array items and keys"},
		{"a boolean key", `return {[true] = 1}`, "table key of type boolean"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := eval(t, tt.script, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestSandboxOffersTheClockOnly(t *testing.T) {
	got, err := eval(t, `return {type(os.date), type(os.time), type(os.execute), type(os.getenv), type(io), type(require)}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []any{"function", "function", "nil", "nil", "nil", "nil"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestFromLuaCountsValues reads a result wider than the budget; at the
// real budget such a table takes longer to build than Timeout allows.
func TestFromLuaCountsValues(t *testing.T) {
	L := lua.NewState()
	defer L.Close()
	v := ToLua(L, []any{1, 2, 3})
	r := reader{budget: 3}
	if _, err := r.read(v, nil, 0); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("error = %v, want the value budget", err)
	}
}
