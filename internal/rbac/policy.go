package rbac

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Effects of a permission: a deny that matches wins over any allow.
const (
	Allow = "allow"
	Deny  = "deny"
)

// Permission is one "p" line: subject may (or, with Effect deny, may not)
// take Action on Object of Resource. Resource, Action and Object are
// patterns in the policy's match mode.
type Permission struct {
	Subject, Resource, Action, Object, Effect string
}

// Grant is one "g" line: Member (a user, a group or a role) holds Role.
type Grant struct {
	Member, Role string
}

// Policy is a list of permissions and grants.
type Policy struct {
	Permissions []Permission
	Grants      []Grant
}

// add appends other's lines to p.
func (p *Policy) add(other Policy) {
	p.Permissions = append(p.Permissions, other.Permissions...)
	p.Grants = append(p.Grants, other.Grants...)
}

// ParsePolicy reads policy lines in CSV, as policy.csv holds them:
//
//	p, <subject>, <resource>, <action>, <object>, allow|deny
//	g, <user or group>, <role>
//
// Blank lines and lines starting with # are skipped; a field may be
// quoted. An error names source and the line.
func ParsePolicy(source, text string) (Policy, error) {
	r := csv.NewReader(strings.NewReader(text))
	r.Comment = '#'
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	r.LazyQuotes = true
	var out Policy
	for {
		fields, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return Policy{}, fmt.Errorf("%s: %w", source, err)
		}
		line, _ := r.FieldPos(0)
		for i := range fields {
			fields[i] = strings.TrimSpace(fields[i])
		}
		if len(fields) == 1 && fields[0] == "" || strings.HasPrefix(fields[0], "#") {
			continue
		}
		if err := out.addLine(fields); err != nil {
			return Policy{}, fmt.Errorf("%s line %d: %w", source, line, err)
		}
	}
}

// addLine adds one line's fields to p.
func (p *Policy) addLine(fields []string) error {
	for i, f := range fields {
		if f == "" {
			return fmt.Errorf("field %d is empty", i+1)
		}
	}
	switch fields[0] {
	case "p":
		if len(fields) != 6 {
			return fmt.Errorf("want p, subject, resource, action, object, allow|deny; got %d fields", len(fields))
		}
		perm := Permission{Subject: fields[1], Resource: fields[2], Action: fields[3], Object: fields[4], Effect: fields[5]}
		if perm.Effect != Allow && perm.Effect != Deny {
			return fmt.Errorf("effect %q is neither allow nor deny", perm.Effect)
		}
		p.Permissions = append(p.Permissions, perm)
	case "g":
		if len(fields) != 3 {
			return fmt.Errorf("want g, user or group, role; got %d fields", len(fields))
		}
		p.Grants = append(p.Grants, Grant{Member: fields[1], Role: fields[2]})
	default:
		return fmt.Errorf("a line starts with p or g, not %q", fields[0])
	}
	return nil
}
