package health

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	luaparse "github.com/yuin/gopher-lua/parse"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// ScriptTimeout bounds one evaluation of a custom health script (Lua or
// CEL). A health check reads one object and takes microseconds; a script
// that loops, on purpose or by mistake, must not hold a worker.
var ScriptTimeout = 100 * time.Millisecond

// Lua limits: the call depth and the value stack a script may use, and the
// longest string string.rep and string.format may build.
const (
	luaCallStack   = 200
	luaRegistry    = 1024
	luaRegistryMax = 64 * 1024
	luaMaxString   = 1 << 20
)

// Check is a custom health check from settings.
type Check interface {
	// Assess returns the health of obj; nil when the check gives it none.
	Assess(ctx context.Context, obj *unstructured.Unstructured) (*Status, error)
}

// luaCheck is a compiled Lua health script.
type luaCheck struct {
	proto *lua.FunctionProto
}

// Lua compiles a health script with Argo CD's contract: the script sees
// the object as the global obj and returns a table with status (one of
// Healthy, Progressing, Degraded, Suspended, Missing, Unknown) and message.
// It runs in a sandbox: only the base (without the functions that load
// code or files), table, string and math libraries, a bounded call stack
// and value stack, and ScriptTimeout.
func Lua(script string) (Check, error) {
	chunk, err := luaparse.Parse(strings.NewReader(script), "health.lua")
	if err != nil {
		return nil, fmt.Errorf("parse Lua: %w", err)
	}
	proto, err := lua.Compile(chunk, "health.lua")
	if err != nil {
		return nil, fmt.Errorf("compile Lua: %w", err)
	}
	return &luaCheck{proto: proto}, nil
}

func (c *luaCheck) Assess(ctx context.Context, obj *unstructured.Unstructured) (*Status, error) {
	ctx, cancel := context.WithTimeout(ctx, ScriptTimeout)
	defer cancel()
	L := sandbox()
	defer L.Close()
	L.SetContext(ctx)
	L.SetGlobal("obj", toLua(L, obj.Object))
	L.Push(L.NewFunctionFromProto(c.proto))
	if err := L.PCall(0, 1, nil); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("health script did not finish within %s", ScriptTimeout)
		}
		return nil, fmt.Errorf("health script: %w", trimLuaError(err))
	}
	ret := L.Get(-1)
	switch ret := ret.(type) {
	case *lua.LNilType:
		return nil, nil
	case *lua.LTable:
		status, _ := ret.RawGetString("status").(lua.LString)
		message := ret.RawGetString("message")
		st, err := statusOf(string(status), "")
		if err != nil {
			return nil, err
		}
		if m, ok := message.(lua.LString); ok {
			st.Message = string(m)
		}
		return st, nil
	default:
		return nil, fmt.Errorf("health script returned a %s, not a table with status and message", ret.Type())
	}
}

// statusOf checks that a script's status is one capstan knows.
func statusOf(code, message string) (*Status, error) {
	switch c := v1alpha1.HealthStatusCode(code); c {
	case v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusProgressing, v1alpha1.HealthStatusDegraded,
		v1alpha1.HealthStatusSuspended, v1alpha1.HealthStatusMissing, v1alpha1.HealthStatusUnknown:
		return &Status{Code: c, Message: message}, nil
	}
	return nil, fmt.Errorf("health script returned status %q; want Healthy, Progressing, Degraded, Suspended, Missing or Unknown", code)
}

// sandbox is a fresh Lua state with only the libraries a health script
// needs, none of which reach the file system, the network or the process.
func sandbox() *lua.LState {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       luaCallStack,
		RegistrySize:        luaRegistry,
		RegistryMaxSize:     luaRegistryMax,
		MinimizeStackMemory: true,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range []string{"dofile", "loadfile", "load", "loadstring", "require", "module", "collectgarbage", "print", "_printregs", "newproxy", "getfenv", "setfenv"} {
		L.SetGlobal(name, lua.LNil)
	}
	if str, ok := L.GetGlobal(lua.StringLibName).(*lua.LTable); ok {
		str.RawSetString("rep", L.NewFunction(boundedRep))
		format := str.RawGetString("format")
		str.RawSetString("format", L.NewFunction(boundedFormat(format)))
	}
	return L
}

// boundedRep is string.rep, refusing results longer than luaMaxString.
func boundedRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > luaMaxString/len(s) {
		L.RaiseError("string.rep: result longer than %d bytes", luaMaxString)
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// wideVerb finds a format verb with a width or precision of four digits
// or more, which would build a string of that size.
var wideVerb = regexp.MustCompile(`%[-+ #0]*[0-9]*\.?[0-9]{4,}`)

func boundedFormat(format lua.LValue) lua.LGFunction {
	return func(L *lua.LState) int {
		if wideVerb.MatchString(L.CheckString(1)) {
			L.RaiseError("string.format: width or precision too large")
		}
		L.Insert(format, 1)
		L.Call(L.GetTop()-1, 1)
		return 1
	}
}

// toLua converts a value decoded from JSON into Lua: objects and arrays
// become tables (arrays indexed from 1), numbers, strings and booleans
// their Lua kind.
func toLua(L *lua.LState, v any) lua.LValue {
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
			t.RawSetString(k, toLua(L, e))
		}
		return t
	case []any:
		t := L.CreateTable(len(v), 0)
		for i, e := range v {
			t.RawSetInt(i+1, toLua(L, e))
		}
		return t
	}
	return lua.LString(fmt.Sprint(v))
}

// trimLuaError drops the Go stack trace gopher-lua appends to errors.
func trimLuaError(err error) error {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		return errors.New(apiErr.Object.String())
	}
	return err
}
