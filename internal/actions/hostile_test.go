package actions

import (
	"context"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
)

// TestHostileActions runs action scripts that loop, allocate without end,
// return what has no JSON form or try to leave the sandbox: each must end
// in an error, and the test process must survive them.
func TestHostileActions(t *testing.T) {
	tests := []struct{ name, script, want string }{
		{"endless loop", `while true do end`, "did not finish"},
		{"huge allocation", `local t = {} local i = 0 while true do i = i + 1 t[i] = {i, i, i} end`, "did not finish"},
		{"huge string", `obj.x = string.rep("x", 1e12) return obj`, "longer than"},
		{"a table that holds itself", `obj.spec.self = obj return obj`, "nests deeper"},
		{"a function in the result", `obj.spec.f = function() end return obj`, "no JSON form"},
		{"os.execute", `os.execute("touch /tmp/pwned") return obj`, "attempt to call a non-function"},
		{"io", `io.open("/etc/passwd") return obj`, "non-table object(nil)"},
		{"renames the object", `obj.metadata.name = "other" return obj`, "not the object the action ran on"},
		{"returns a string", `return "done"`, "returned a string"},
		{"unknown operation", `return {{operation = "delete", resource = obj}}`, "want patch or create"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			text := "discovery.lua: return {evil = {}}\ndefinitions:\n- name: evil\n  action.lua: |\n    " + strings.ReplaceAll(tt.script, "\n", "\n    ") + "\n"
			set := NewSet(map[schema.GroupKind]*Script{deploymentKind: mustParse(t, text)})
			_, err := set.Run(context.Background(), parse(t, deployment), "evil", nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestHostileDiscovery(t *testing.T) {
	set := NewSet(map[schema.GroupKind]*Script{deploymentKind: mustParse(t, "discovery.lua: while true do end\n")})
	_, err := set.Discover(context.Background(), parse(t, deployment))
	if err == nil || !strings.Contains(err.Error(), "did not finish") {
		t.Errorf("error = %v, want the timeout", err)
	}
}
