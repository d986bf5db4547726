package rbac

import (
	"sync"

	"github.com/casbin/casbin/v2"
)

// maxCachedDecisions bounds the decisions an engine remembers; past it,
// it forgets them all and starts again.
const maxCachedDecisions = 100_000

// engine decides over one fixed policy with Casbin. Casbin weighs every
// line of a policy for each question; so that a list of thousands of
// Applications stays quick to filter, an engine asks, for each subject,
// a Casbin enforcer of only the lines of that subject and of the roles it
// holds, and remembers its decisions: a policy never changes once built,
// so a decision holds as long as the engine lives.
type engine struct {
	rules patterns
	pol   Policy
	// roles are the roles each member is granted directly.
	roles map[string][]string
	// subjects are those the policy names: anyone else matches no line
	// and is denied without asking Casbin.
	subjects map[string]bool
	// shapes are the shapes of the object patterns of pol's permissions,
	// in their order.
	shapes []shape

	mu        sync.RWMutex
	bySubject map[string]*casbin.SyncedEnforcer
	decisions map[decisionKey]bool
}

// decisionKey is a question an engine remembers the answer to.
type decisionKey struct{ subject, resource, action, object string }

func newEngine(mode string, pol Policy, pats patterns) (*engine, error) {
	roles, subjects := map[string][]string{}, map[string]bool{}
	for _, g := range pol.Grants {
		roles[g.Member] = append(roles[g.Member], g.Role)
		subjects[g.Member] = true
	}
	for _, p := range pol.Permissions {
		subjects[p.Subject] = true
	}
	shapes := make([]shape, len(pol.Permissions))
	for i, p := range pol.Permissions {
		shapes[i] = shapeOf(mode, p.Object)
	}
	e := &engine{rules: pats, pol: pol, roles: roles, subjects: subjects, shapes: shapes,
		bySubject: map[string]*casbin.SyncedEnforcer{}, decisions: map[decisionKey]bool{}}
	// Build one enforcer now, so that a policy Casbin refuses is refused
	// when it is loaded rather than when it is asked.
	if _, err := newCasbin(pol, pats); err != nil {
		return nil, err
	}
	return e, nil
}

// enforce decides r for subject, from the decisions made before when it
// can.
func (e *engine) enforce(subject string, r request) (bool, error) {
	if !e.subjects[subject] {
		return false, nil
	}
	key := decisionKey{subject, r.resource, r.action, r.object}
	e.mu.RLock()
	ok, found := e.decisions[key]
	enf := e.bySubject[subject]
	e.mu.RUnlock()
	if found {
		return ok, nil
	}
	if enf == nil {
		var err error
		if enf, err = e.subjectEnforcer(subject); err != nil {
			return false, err
		}
	}
	ok, err := enf.Enforce(subject, r.resource, r.action, r.object)
	if err != nil {
		return false, err
	}
	e.mu.Lock()
	if len(e.decisions) >= maxCachedDecisions {
		e.decisions = map[decisionKey]bool{}
	}
	e.decisions[key] = ok
	e.mu.Unlock()
	return ok, nil
}

// subjectEnforcer builds the enforcer of subject: the permissions of the
// subject and of every role it holds, directly or through other roles,
// and the grants that lead to them.
func (e *engine) subjectEnforcer(subject string) (*casbin.SyncedEnforcer, error) {
	held := e.held(subject)
	var own Policy
	for _, p := range e.pol.Permissions {
		if held[p.Subject] {
			own.Permissions = append(own.Permissions, p)
		}
	}
	for _, g := range e.pol.Grants {
		if held[g.Member] {
			own.Grants = append(own.Grants, g)
		}
	}
	enf, err := newCasbin(own, e.rules)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.bySubject[subject] = enf
	e.mu.Unlock()
	return enf, nil
}

// held are the roles subject holds, directly or through other roles,
// and subject itself.
func (e *engine) held(subject string) map[string]bool {
	held := map[string]bool{subject: true}
	for queue := []string{subject}; len(queue) > 0; queue = queue[1:] {
		for _, role := range e.roles[queue[0]] {
			if !held[role] {
				held[role] = true
				queue = append(queue, role)
			}
		}
	}
	return held
}

// uniformFor reports whether the engine's decision on action on objects
// of resource for subject is the same for every object under prefix (see
// shape.over): whether each permission of subject and its roles that
// matches resource and action matches all or none of those objects.
func (e *engine) uniformFor(subject, resource, action, prefix string) bool {
	if subject == "" || !e.subjects[subject] {
		// Denied whatever the object.
		return true
	}
	held := e.held(subject)
	for i, p := range e.pol.Permissions {
		if held[p.Subject] && e.rules.match(p.Resource, resource) && e.rules.match(p.Action, action) &&
			e.shapes[i].over(prefix) == coversSome {
			return false
		}
	}
	return true
}
