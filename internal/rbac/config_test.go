package rbac

import "testing"

func TestParseConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		data map[string]string
		want Config
		err  string
	}{{
		name: "nothing set",
		want: Config{Scopes: []string{"groups"}, MatchMode: MatchGlob},
	}, {
		name: "policy.csv first, then the other policy files by key",
		data: map[string]string{
			"policy.z.csv":   "g, zed, role:admin",
			"policy.csv":     "g, first, role:admin",
			"policy.a.csv":   "g, ay, role:admin",
			"policy.default": " role:readonly ",
			"policy.csvx":    "not a policy key",
			"scopes":         "[groups, email]",
		},
		want: Config{
			Policy:    Policy{Grants: []Grant{{"first", RoleAdmin}, {"ay", RoleAdmin}, {"zed", RoleAdmin}}},
			Default:   RoleReadonly,
			Scopes:    []string{"groups", "email"},
			MatchMode: MatchGlob,
		},
	}, {
		name: "regex mode",
		data: map[string]string{"policy.matchMode": "regex", "policy.csv": "p, role:r, applications, get, team-(a|b)/.*, allow"},
		want: Config{
			Policy:    Policy{Permissions: []Permission{{"role:r", "applications", "get", "team-(a|b)/.*", Allow}}},
			Scopes:    []string{"groups"},
			MatchMode: MatchRegex,
		},
	}, {
		name: "a bad line names its key and line",
		data: map[string]string{"policy.csv": "g, a, role:admin", "policy.team.csv": "g, a, role:admin\np, x"},
		err:  "policy.team.csv line 2:",
	}, {
		name: "a glob that does not compile",
		data: map[string]string{"policy.csv": "p, role:r, applications, get, team-[a/*, allow"},
		err:  `pattern "team-[a/*" is not a glob`,
	}, {
		name: "a regular expression that does not compile",
		data: map[string]string{"policy.matchMode": "regex", "policy.csv": "p, role:r, applications, get, *, allow"},
		err:  `pattern "*" is not a regular expression`,
	}, {
		name: "unknown match mode",
		data: map[string]string{"policy.matchMode": "exact"},
		err:  `policy.matchMode "exact" is neither glob nor regex`,
	}, {
		name: "scopes not a list",
		data: map[string]string{"scopes": "{groups: 1}"},
		err:  "scopes",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseConfig(tc.data)
			checkResult(t, "config", tc.want, got, tc.err, err)
		})
	}
}
