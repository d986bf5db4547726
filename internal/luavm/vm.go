// Package luavm runs the Lua scripts an installation's settings hold
// (health checks, resource actions) in a sandbox: no file system, network
// or process access, a bounded call stack and value stack, bounded string
// building, and a deadline. Scripts come from whoever may edit argocd-cm,
// and they run inside the controller and the API server, so a script that
// loops or allocates without end must fail on its own and take nothing
// down with it.
package luavm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	lua "github.com/yuin/gopher-lua"
	luaparse "github.com/yuin/gopher-lua/parse"
)

// Timeout bounds one run of a script. A script reads one object and takes
// microseconds; one that loops, on purpose or by mistake, must not hold a
// worker.
var Timeout = 100 * time.Millisecond

// Limits: the call depth and the value stack a script may use, and the
// longest string string.rep and string.format may build.
const (
	callStack   = 200
	registry    = 1024
	registryMax = 64 * 1024
	maxString   = 1 << 20
)

// Compile parses and compiles script; name names it in errors.
func Compile(name, script string) (*lua.FunctionProto, error) {
	chunk, err := luaparse.Parse(strings.NewReader(script), name)
	if err != nil {
		return nil, fmt.Errorf("parse Lua: %w", err)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		return nil, fmt.Errorf("compile Lua: %w", err)
	}
	return proto, nil
}

// Globals sets a script's global variables in a fresh state.
type Globals func(L *lua.LState)

// Run runs proto in a fresh sandbox under Timeout, with the globals set
// sets, and hands its single return value to read while the state is
// still open. The error of a script that overran says so.
func Run(ctx context.Context, proto *lua.FunctionProto, set Globals, read func(lua.LValue) error) error {
	ctx, cancel := context.WithTimeout(ctx, Timeout)
	defer cancel()
	L := sandbox()
	defer L.Close()
	L.SetContext(ctx)
	if set != nil {
		set(L)
	}
	L.Push(L.NewFunctionFromProto(proto))
	if err := L.PCall(0, 1, nil); err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("script did not finish within %s", Timeout)
		}
		return trimError(err)
	}
	return read(L.Get(-1))
}

// sandbox is a fresh Lua state with the base (without the functions that
// load code or files), table, string and math libraries, and an os table
// that holds only date, time and clock: reading the clock reaches nothing
// outside the process, and Argo CD's action scripts stamp times with it.
func sandbox() *lua.LState {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       callStack,
		RegistrySize:        registry,
		RegistryMaxSize:     registryMax,
		MinimizeStackMemory: true,
	})
	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{{lua.BaseLibName, lua.OpenBase}, {lua.TabLibName, lua.OpenTable}, {lua.StringLibName, lua.OpenString}, {lua.MathLibName, lua.OpenMath}, {lua.OsLibName, lua.OpenOs}} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	for _, name := range []string{"dofile", "loadfile", "load", "loadstring", "require", "module", "collectgarbage", "print", "_printregs", "newproxy", "getfenv", "setfenv"} {
		L.SetGlobal(name, lua.LNil)
	}
	if os, ok := L.GetGlobal(lua.OsLibName).(*lua.LTable); ok {
		clock := L.NewTable()
		for _, name := range []string{"date", "time", "clock"} {
			clock.RawSetString(name, os.RawGetString(name))
		}
		L.SetGlobal(lua.OsLibName, clock)
	}
	if str, ok := L.GetGlobal(lua.StringLibName).(*lua.LTable); ok {
		str.RawSetString("rep", L.NewFunction(boundedRep))
		format := str.RawGetString("format")
		str.RawSetString("format", L.NewFunction(boundedFormat(format)))
	}
	return L
}

// boundedRep is string.rep, refusing results longer than maxString.
func boundedRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || s == "" {
		L.Push(lua.LString(""))
		return 1
	}
	if n > maxString/len(s) {
		L.RaiseError("string.rep: result longer than %d bytes", maxString)
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

// trimError drops the Go stack trace gopher-lua appends to errors.
func trimError(err error) error {
	var apiErr *lua.ApiError
	if errors.As(err, &apiErr) && apiErr.Object != nil {
		return errors.New(apiErr.Object.String())
	}
	return err
}
