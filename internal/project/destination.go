package project

import (
	"fmt"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// PermitsDestination reports whether the project lets its Applications
// deploy to dest: the resolved cluster, known by its server URL and its
// registered name, and a namespace.
//
// An entry of destinations whose fields carry no `!` allows a destination
// when its server or its name matches the cluster and its namespace
// matches the namespace. An entry with a `!` field is an exception: it
// denies every destination that a `!` field of it names (server, name or
// namespace), whatever its other fields say, and it allows nothing. A
// destination is permitted when an allowing entry matches it and no
// exception denies it.
func PermitsDestination(p *v1alpha1.AppProject, dest v1alpha1.ApplicationDestination) error {
	rule, err := destinationRule(p, dest)
	if err != nil {
		return &Violation{Project: p.Name, Rule: "destinations: " + err.Error()}
	}
	if rule != "" {
		return &Violation{Project: p.Name, Rule: "application " + rule}
	}
	return nil
}

// destinationRule is the reason the project refuses dest, or "" when it
// permits it.
func destinationRule(p *v1alpha1.AppProject, dest v1alpha1.ApplicationDestination) (string, error) {
	allowed := false
	for _, d := range p.Spec.Destinations {
		if isDeny(d.Server) || isDeny(d.Name) || isDeny(d.Namespace) {
			denied, err := denies(d, dest)
			if err != nil || denied {
				return fmt.Sprintf("destination %s is denied by destination %s", describe(dest), describe(d)), err
			}
			continue
		}
		if allowed {
			continue // keep looking for an exception
		}
		ok, err := allows(d, dest)
		if err != nil {
			return "", err
		}
		allowed = ok
	}
	if !allowed {
		return fmt.Sprintf("destination %s does not match any of the allowed destinations", describe(dest)), nil
	}
	return "", nil
}

// allows reports whether an entry without exceptions matches dest.
func allows(d, dest v1alpha1.ApplicationDestination) (bool, error) {
	cluster := false
	if d.Server != "" && dest.Server != "" {
		ok, err := match(d.Server, dest.Server)
		if err != nil {
			return false, err
		}
		cluster = ok
	}
	if !cluster && d.Name != "" && dest.Name != "" {
		ok, err := match(d.Name, dest.Name)
		if err != nil {
			return false, err
		}
		cluster = ok
	}
	if !cluster {
		return false, nil
	}
	return match(d.Namespace, dest.Namespace)
}

// denies reports whether a `!` field of an exception names dest.
func denies(d, dest v1alpha1.ApplicationDestination) (bool, error) {
	for _, f := range []struct {
		pattern, value string
		cluster        bool
	}{
		{d.Server, dest.Server, true}, {d.Name, dest.Name, true}, {d.Namespace, dest.Namespace, false},
	} {
		// A cluster without a registered name is named by no exception.
		if !isDeny(f.pattern) || (f.cluster && f.value == "") {
			continue
		}
		ok, err := match(strings.TrimPrefix(f.pattern, "!"), f.value)
		if err != nil || ok {
			return ok, err
		}
	}
	return false, nil
}

// describe prints a destination the way a user writes one.
func describe(d v1alpha1.ApplicationDestination) string {
	var parts []string
	if d.Server != "" {
		parts = append(parts, fmt.Sprintf("server %q", d.Server))
	}
	if d.Name != "" {
		parts = append(parts, fmt.Sprintf("name %q", d.Name))
	}
	parts = append(parts, fmt.Sprintf("namespace %q", d.Namespace))
	return "{" + strings.Join(parts, ", ") + "}"
}
