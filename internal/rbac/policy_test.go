package rbac

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParsePolicy(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		want Policy
		err  string
	}{{
		name: "permissions, grants, comments and blank lines",
		text: `
# readers of team-a
p, role:team-a, applications, get, team-a/*, allow
  # an indented comment
p, role:team-a, applications, update/*, team-a/*, deny

g, alice, role:team-a
`,
		want: Policy{
			Permissions: []Permission{
				{"role:team-a", "applications", "get", "team-a/*", Allow},
				{"role:team-a", "applications", "update/*", "team-a/*", Deny},
			},
			Grants: []Grant{{"alice", "role:team-a"}},
		},
	}, {
		name: "quoted fields and no spaces",
		text: `p,"role:x",applications,"action/apps/Deployment/restart",*/*,allow`,
		want: Policy{Permissions: []Permission{{"role:x", "applications", "action/apps/Deployment/restart", "*/*", Allow}}},
	}, {
		name: "empty",
		text: "\n  \n",
	}, {
		name: "missing effect",
		text: "g, a, role:b\np, role:x, applications, get, */*",
		err:  "test line 2: want p, subject, resource, action, object, allow|deny; got 5 fields",
	}, {
		name: "unknown effect",
		text: "p, role:x, applications, get, */*, permit",
		err:  `test line 1: effect "permit" is neither allow nor deny`,
	}, {
		name: "grant with a third field",
		text: "g, alice, role:x, extra",
		err:  "test line 1: want g, user or group, role; got 4 fields",
	}, {
		name: "unknown line",
		text: "q, alice, role:x",
		err:  `test line 1: a line starts with p or g, not "q"`,
	}, {
		name: "empty field",
		text: "p, role:x, , get, */*, allow",
		err:  "test line 1: field 3 is empty",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParsePolicy("test", tc.text)
			checkResult(t, "policy", tc.want, got, tc.err, err)
		})
	}
}

// checkResult compares a parse's result with want, or its error with
// wantErr when that is set (a substring of the error).
func checkResult[T any](t *testing.T, what string, want, got T, wantErr string, err error) {
	t.Helper()
	if wantErr != "" {
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Fatalf("error = %v, want %q", err, wantErr)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", what, diff)
	}
}
