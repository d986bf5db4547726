package health

import (
	"context"
	"strings"
	"testing"
)

// TestHostileScripts runs scripts that try to escape the sandbox or exhaust
// the controller: each must end in an error, and the test process must
// survive them.
func TestHostileScripts(t *testing.T) {
	tests := []struct {
		name, script, want string
	}{
		{"infinite loop", `while true do end`, "did not finish"},
		{"huge table", `local t = {} local i = 0 while true do i = i + 1 t[i] = i end`, "did not finish"},
		{"string doubling", `local s = "x" while true do s = s .. s end`, ""},
		{"string.rep", `return {status = string.rep("x", 1e12)}`, "longer than"},
		{"wide format", `return {status = string.format("%999999999d", 1)}`, "too large"},
		{"deep recursion", `local function f(n) return f(n + 1) + 1 end return f(1)`, "stack"},
		{"os", `os.execute("touch /tmp/pwned") return {status = "Healthy"}`, "attempt to call a non-function"},
		{"io", `io.open("/etc/passwd") return {status = "Healthy"}`, "non-table object(nil) with key 'open'"},
		{"require", `require("os") return {status = "Healthy"}`, "attempt to call a non-function"},
		{"load", `load("return 1")() return {status = "Healthy"}`, "attempt to call a non-function"},
		{"dofile", `dofile("/etc/passwd")`, "attempt to call a non-function"},
		{"loadstring", `loadstring("return 1")()`, "attempt to call a non-function"},
		{"error", `error("boom")`, "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Lua(tt.script)
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.Assess(context.Background(), parse(t, widget))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestHostileCEL(t *testing.T) {
	for name, expr := range map[string]string{
		"quadratic":   `[1,2,3,4,5,6,7,8,9,10].all(a, [1,2,3,4,5,6,7,8,9,10].all(b, [1,2,3,4,5,6,7,8,9,10].all(c, [1,2,3,4,5,6,7,8,9,10].all(d, [1,2,3,4,5,6,7,8,9,10].all(e, [1,2,3,4,5,6,7,8,9,10].all(f, a+b+c+d+e+f > 0)))))) ? "Healthy" : "Degraded"`,
		"huge string": `"x".size() > 0 && ("abcdefghij" + "abcdefghij").size() > 0 ? "Healthy" : "Degraded"`,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := CEL(expr)
			if err != nil {
				t.Fatal(err)
			}
			st, err := c.Assess(context.Background(), parse(t, widget))
			if name == "huge string" {
				if err != nil || st.Code != "Healthy" {
					t.Errorf("a cheap expression failed: %+v, %v", st, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "cost") && !strings.Contains(err.Error(), "did not finish") {
				t.Errorf("error = %v, want the cost limit or the timeout", err)
			}
		})
	}
}
