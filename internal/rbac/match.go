package rbac

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/gobwas/glob"
)

// modelText is the Casbin model of a policy: a request (subject,
// resource, action, object) is allowed when a permission of the subject
// or of a role it holds matches it with effect allow, and none matches it
// with effect deny.
const modelText = `
[request_definition]
r = sub, res, act, obj

[policy_definition]
p = sub, res, act, obj, eft

[role_definition]
g = _, _

[policy_effect]
e = some(where (p.eft == allow)) && !some(where (p.eft == deny))

[matchers]
m = g(r.sub, p.sub) && patternMatch(r.res, p.res) && patternMatch(r.act, p.act) && patternMatch(r.obj, p.obj)
`

// patterns are the compiled resource, action and object patterns of a
// policy, by their text.
type patterns map[string]func(string) bool

// match reports whether value matches the compiled pattern of text; a
// pattern that was not compiled matches nothing.
func (pats patterns) match(text, value string) bool {
	m, ok := pats[text]
	return ok && m(value)
}

// compile compiles every pattern of pol in mode, and fails on the first
// that does not compile, naming it.
func compile(mode string, pol Policy) (patterns, error) {
	out := patterns{}
	for _, p := range pol.Permissions {
		for _, text := range []string{p.Resource, p.Action, p.Object} {
			if _, ok := out[text]; ok {
				continue
			}
			m, err := compilePattern(mode, text)
			if err != nil {
				return nil, fmt.Errorf("permission %s, %s, %s, %s: %w", p.Subject, p.Resource, p.Action, p.Object, err)
			}
			out[text] = m
		}
	}
	return out, nil
}

// compilePattern compiles one pattern. A glob's * matches any run of
// characters, / included, so "my-project/*" covers every application of
// the project. A regular expression must match the whole value.
func compilePattern(mode, text string) (func(string) bool, error) {
	if mode == MatchRegex {
		re, err := regexp.Compile("^(?:" + text + ")$")
		if err != nil {
			return nil, fmt.Errorf("pattern %q is not a regular expression: %w", text, err)
		}
		return re.MatchString, nil
	}
	g, err := glob.Compile(text)
	if err != nil {
		return nil, fmt.Errorf("pattern %q is not a glob: %w", text, err)
	}
	return g.Match, nil
}

// globToRegex turns a glob of the built-in policy, whose only special
// character is *, into the regular expression that means the same.
func globToRegex(text string) string {
	parts := strings.Split(text, "*")
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, ".*")
}

// newCasbin builds a Casbin enforcer over pol, whose patterns are in
// pats.
func newCasbin(pol Policy, pats patterns) (*casbin.SyncedEnforcer, error) {
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		return nil, fmt.Errorf("rbac model: %w", err)
	}
	e, err := casbin.NewSyncedEnforcer(m)
	if err != nil {
		return nil, fmt.Errorf("rbac model: %w", err)
	}
	e.AddFunction("patternMatch", func(args ...any) (any, error) {
		value, _ := args[0].(string)
		pattern, _ := args[1].(string)
		return pats.match(pattern, value), nil
	})
	perms := make([][]string, 0, len(pol.Permissions))
	for _, p := range pol.Permissions {
		perms = append(perms, []string{p.Subject, p.Resource, p.Action, p.Object, p.Effect})
	}
	grants := make([][]string, 0, len(pol.Grants))
	for _, g := range pol.Grants {
		grants = append(grants, []string{g.Member, g.Role})
	}
	if _, err := e.AddPoliciesEx(dedupe(perms)); err != nil {
		return nil, fmt.Errorf("load permissions: %w", err)
	}
	if _, err := e.AddGroupingPoliciesEx(dedupe(grants)); err != nil {
		return nil, fmt.Errorf("load grants: %w", err)
	}
	return e, nil
}

// dedupe drops repeated rules, keeping the first of each.
func dedupe(rules [][]string) [][]string {
	seen := make(map[string]bool, len(rules))
	out := rules[:0]
	for _, r := range rules {
		key := strings.Join(r, "\x00")
		if !seen[key] {
			seen[key] = true
			out = append(out, r)
		}
	}
	return out
}
