package health

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

const widget = `
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: ns}
spec: {size: 3}
status:
  phase: Ready
  conditions: [{type: Ready, status: "True", message: all good}]`

const luaByPhase = `
hs = {}
if obj.status ~= nil and obj.status.phase == "Ready" then
  hs.status = "Healthy"
  hs.message = obj.status.conditions[1].message
  return hs
end
hs.status = "Progressing"
hs.message = "waiting"
return hs`

func mustLua(t *testing.T, script string) Check {
	t.Helper()
	c, err := Lua(script)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func mustCEL(t *testing.T, expr string) Check {
	t.Helper()
	c, err := CEL(expr)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCustomChecks(t *testing.T) {
	degradedLua := `return {status = "Degraded", message = "custom " .. obj.metadata.name}`
	tests := []struct {
		name     string
		checks   map[string]Check
		manifest string
		want     *Status
	}{
		{"no customization: conditions", nil, widget, &Status{Code: v1alpha1.HealthStatusHealthy, Message: "all good"}},
		{"lua by exact key", map[string]Check{"example.com/Widget": mustLua(t, degradedLua)}, widget, &Status{Code: v1alpha1.HealthStatusDegraded, Message: "custom w"}},
		{"lua reads the object", map[string]Check{"example.com/Widget": mustLua(t, luaByPhase)}, widget, &Status{Code: v1alpha1.HealthStatusHealthy, Message: "all good"}},
		{"lua returning nil gives no health", map[string]Check{"example.com/Widget": mustLua(t, `return nil`)}, widget, nil},
		{"glob key", map[string]Check{"*.com/*": mustLua(t, degradedLua)}, widget, &Status{Code: v1alpha1.HealthStatusDegraded, Message: "custom w"}},
		{"exact key wins over a glob", map[string]Check{"*.com/*": mustLua(t, degradedLua), "example.com/Widget": mustCEL(t, `"Suspended"`)}, widget, &Status{Code: v1alpha1.HealthStatusSuspended}},
		{"other kind untouched", map[string]Check{"example.com/Gadget": mustLua(t, degradedLua)}, widget, &Status{Code: v1alpha1.HealthStatusHealthy, Message: "all good"}},
		{"cel map", map[string]Check{"example.com/Widget": mustCEL(t, `obj.spec.size > 2 ? {"status": "Degraded", "message": "too big"} : {"status": "Healthy"}`)}, widget, &Status{Code: v1alpha1.HealthStatusDegraded, Message: "too big"}},
		{"core group key", map[string]Check{"ConfigMap": mustCEL(t, `"Progressing"`)}, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}", &Status{Code: v1alpha1.HealthStatusProgressing}},
		{"child application by default", nil, "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: child}\nstatus: {health: {status: Progressing}}", nil},
		{"child application customized", map[string]Check{"argoproj.io/Application": mustLua(t, `return {status = obj.status.health.status}`)},
			"apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata: {name: child}\nstatus: {health: {status: Progressing}}", &Status{Code: v1alpha1.HealthStatusProgressing}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewChecks(tt.checks).Of(context.Background(), parse(t, tt.manifest))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("health (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNilChecksAreBuiltIn(t *testing.T) {
	var c *Checks
	got, err := c.Of(context.Background(), parse(t, widget))
	if err != nil || got == nil || got.Code != v1alpha1.HealthStatusHealthy {
		t.Errorf("nil Checks: %+v, %v", got, err)
	}
}

func TestScriptErrors(t *testing.T) {
	tests := []struct {
		name  string
		check func() (Check, error)
		want  string
	}{
		{"lua syntax", func() (Check, error) { return Lua(`return {status = `) }, "parse Lua"},
		{"cel syntax", func() (Check, error) { return CEL(`obj.status ==`) }, "compile CEL"},
		{"unknown status", func() (Check, error) { return Lua(`return {status = "Fine"}`) }, `status "Fine"`},
		{"not a table", func() (Check, error) { return Lua(`return 42`) }, "not a table"},
		{"runtime error", func() (Check, error) { return Lua(`return {status = obj.nothing.here}`) }, "health script"},
		{"cel missing field", func() (Check, error) { return CEL(`obj.nothing.here`) }, "health expression"},
		{"cel wrong type", func() (Check, error) { return CEL(`42`) }, "not a status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.check()
			if err == nil {
				_, err = NewChecks(map[string]Check{"example.com/Widget": c}).Of(context.Background(), parse(t, widget))
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
