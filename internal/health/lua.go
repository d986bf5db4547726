package health

import (
	"context"
	"fmt"
	"time"

	lua "github.com/yuin/gopher-lua"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/luavm"
)

// ScriptTimeout bounds one evaluation of a custom health expression
// (CEL); Lua scripts run under luavm.Timeout.
var ScriptTimeout = 100 * time.Millisecond

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
// It runs in luavm's sandbox.
func Lua(script string) (Check, error) {
	proto, err := luavm.Compile("health.lua", script)
	if err != nil {
		return nil, err
	}
	return &luaCheck{proto: proto}, nil
}

func (c *luaCheck) Assess(ctx context.Context, obj *unstructured.Unstructured) (*Status, error) {
	var st *Status
	err := luavm.Run(ctx, c.proto, func(L *lua.LState) {
		L.SetGlobal("obj", luavm.ToLua(L, obj.Object))
	}, func(ret lua.LValue) error {
		var err error
		st, err = readStatus(ret)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("health script: %w", err)
	}
	return st, nil
}

// readStatus reads what a health script returned.
func readStatus(ret lua.LValue) (*Status, error) {
	switch ret := ret.(type) {
	case *lua.LNilType:
		return nil, nil
	case *lua.LTable:
		status, _ := ret.RawGetString("status").(lua.LString)
		st, err := statusOf(string(status), "")
		if err != nil {
			return nil, err
		}
		if m, ok := ret.RawGetString("message").(lua.LString); ok {
			st.Message = string(m)
		}
		return st, nil
	}
	return nil, fmt.Errorf("returned a %s, not a table with status and message", ret.Type())
}

// statusOf checks that a script's status is one capstan knows.
func statusOf(code, message string) (*Status, error) {
	switch c := v1alpha1.HealthStatusCode(code); c {
	case v1alpha1.HealthStatusHealthy, v1alpha1.HealthStatusProgressing, v1alpha1.HealthStatusDegraded,
		v1alpha1.HealthStatusSuspended, v1alpha1.HealthStatusMissing, v1alpha1.HealthStatusUnknown:
		return &Status{Code: c, Message: message}, nil
	}
	return nil, fmt.Errorf("status %q is none of Healthy, Progressing, Degraded, Suspended, Missing or Unknown", code)
}
