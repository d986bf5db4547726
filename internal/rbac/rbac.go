// Package rbac decides who may do what, in Argo CD's terms and with its
// policy engine, Casbin: permissions "p, subject, resource, action,
// object, allow|deny" and grants "g, user or group, role" from
// argocd-rbac-cm, the built-in roles role:readonly and role:admin, the
// default role of policy.default, and the roles of each AppProject,
// whose subjects are "proj:<project>:<role>". A deny that matches wins
// over any allow. The policy follows argocd-rbac-cm as it changes; one
// that does not parse is reported and the last good one stays in force.
package rbac

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Claims are who asks: a subject (an account, an SSO user, or a project
// role "proj:<project>:<role>") and the groups it belongs to.
type Claims struct {
	Subject string
	Groups  []string
}

// Enforcer decides requests against the policy in force and the roles of
// the AppProjects it reads. It is safe for concurrent use.
type Enforcer struct {
	reader    client.Reader
	namespace string
	current   atomic.Pointer[policy]

	mu  sync.Mutex
	err error
}

// Err is why the last change of argocd-rbac-cm was not taken, nil when
// it was.
func (e *Enforcer) Err() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.err
}

// New returns an Enforcer of cfg that reads AppProjects in namespace
// through reader (the manager's cache); reader nil means no project
// roles.
func New(cfg Config, reader client.Reader, namespace string) (*Enforcer, error) {
	e := &Enforcer{reader: reader, namespace: namespace}
	if err := e.Load(cfg); err != nil {
		return nil, err
	}
	return e, nil
}

// Load puts cfg in force; on an error the policy in force stays.
func (e *Enforcer) Load(cfg Config) error {
	p, err := newPolicy(cfg)
	if err != nil {
		return err
	}
	e.current.Store(p)
	return nil
}

// Config is the config in force.
func (e *Enforcer) Config() Config { return e.current.Load().cfg }

// Enforce reports whether c may take action on object of resource. A
// failure to read the object's AppProject denies.
func (e *Enforcer) Enforce(ctx context.Context, c Claims, resource, action, object string) bool {
	p := e.current.Load()
	var proj *v1alpha1.AppProject
	if name := ProjectOf(resource, object); name != "" {
		var err error
		if proj, err = e.readProject(ctx, name); err != nil {
			logr.FromContextOrDiscard(ctx).Error(err, "read the AppProject of a request; denied", "project", name, "resource", resource, "action", action)
			return false
		}
	}
	return p.decide(ctx, proj, c, request{resource, action, object})
}

// request is what is asked: action on object of resource.
type request struct{ resource, action, object string }

// policy is one config in force, compiled: the global enforcer, and one
// per AppProject with the project's roles added, built when first asked.
type policy struct {
	cfg      Config
	rules    Policy
	patterns patterns
	global   *engine

	mu       sync.Mutex
	projects map[string]projectEnforcer
}

// projectEnforcer is the enforcer of one project, and the text of the
// roles it was built from.
type projectEnforcer struct {
	key string
	// version is the resourceVersion of the AppProject last found with
	// roles of this key: the same version has the same roles.
	version string
	enf     *engine
}

func newPolicy(cfg Config) (*policy, error) {
	rules := Builtin(cfg.MatchMode)
	rules.add(cfg.Policy)
	pats, err := compile(cfg.MatchMode, rules)
	if err != nil {
		return nil, err
	}
	enf, err := newEngine(cfg.MatchMode, rules, pats)
	if err != nil {
		return nil, err
	}
	return &policy{cfg: cfg, rules: rules, patterns: pats, global: enf, projects: map[string]projectEnforcer{}}, nil
}

// decide is the decision on r by c, proj being the AppProject r
// concerns (nil for none), with proj's roles added to the policy.
func (p *policy) decide(ctx context.Context, proj *v1alpha1.AppProject, c Claims, r request) bool {
	enf := p.global
	if proj != nil {
		enf = p.forProject(ctx, proj)
	}
	return p.decideWith(ctx, enf, proj, c, r)
}

// decideWith is the decision on r by c with enf, the enforcer of proj.
// It allows when enf allows any subject that askedSubjects names.
func (p *policy) decideWith(ctx context.Context, enf *engine, proj *v1alpha1.AppProject, c Claims, r request) bool {
	var buf [8]string
	for _, subject := range p.askedSubjects(proj, c, buf[:0]) {
		if p.allows(ctx, enf, subject, r) {
			return true
		}
	}
	return false
}

// askedSubjects appends to buf the subjects whose permissions decide a
// request of c about proj (nil for none). A project role decides only
// within its own project, as the default role or as itself; anyone else
// is decided as the default role, then as themselves, then as each of
// their groups.
func (p *policy) askedSubjects(proj *v1alpha1.AppProject, c Claims, buf []string) []string {
	if projName, _, ok := ParseProjectSubject(c.Subject); ok && proj != nil {
		if projName != proj.Name {
			return buf
		}
		return append(buf, p.cfg.Default, c.Subject)
	}
	buf = append(buf, p.cfg.Default, c.Subject)
	return append(buf, c.Groups...)
}

// allows asks enf whether subject may make r; an empty subject may not.
func (p *policy) allows(ctx context.Context, enf *engine, subject string, r request) bool {
	if subject == "" {
		return false
	}
	ok, err := enf.enforce(subject, r)
	if err != nil {
		logr.FromContextOrDiscard(ctx).Error(err, "rbac enforcement failed; denied", "subject", subject, "resource", r.resource, "action", r.action)
		return false
	}
	return ok
}

// forProject is the enforcer of the global policy with proj's roles
// added, built once per content of the roles.
func (p *policy) forProject(ctx context.Context, proj *v1alpha1.AppProject) *engine {
	p.mu.Lock()
	defer p.mu.Unlock()
	pe, known := p.projects[proj.Name]
	if known && proj.ResourceVersion != "" && pe.version == proj.ResourceVersion {
		return pe.enf
	}
	key := rolesKey(proj)
	if known && pe.key == key {
		pe.version = proj.ResourceVersion
		p.projects[proj.Name] = pe
		return pe.enf
	}
	log := logr.FromContextOrDiscard(ctx)
	roles, errs := RolePolicy(proj)
	for _, err := range errs {
		log.Info("project role policy line ignored", "project", proj.Name, "reason", err.Error())
	}
	rules := Policy{Permissions: append([]Permission{}, p.rules.Permissions...), Grants: append(roles.Grants, p.rules.Grants...)}
	pats := make(patterns, len(p.patterns))
	for k, v := range p.patterns {
		pats[k] = v
	}
	for _, perm := range roles.Permissions {
		more, err := compile(p.cfg.MatchMode, Policy{Permissions: []Permission{perm}})
		if err != nil {
			log.Info("project role policy line ignored", "project", proj.Name, "reason", err.Error())
			continue
		}
		for k, v := range more {
			pats[k] = v
		}
		rules.Permissions = append(rules.Permissions, perm)
	}
	enf, err := newEngine(p.cfg.MatchMode, rules, pats)
	if err != nil {
		log.Error(err, "project roles not applied", "project", proj.Name)
		return p.global
	}
	p.projects[proj.Name] = projectEnforcer{key: key, version: proj.ResourceVersion, enf: enf}
	return enf
}

// rolesKey is the text of proj's roles that their policy is built from.
func rolesKey(proj *v1alpha1.AppProject) string {
	var b strings.Builder
	for _, r := range proj.Spec.Roles {
		fmt.Fprintf(&b, "%q%q%q\n", r.Name, r.Policies, r.Groups)
	}
	return b.String()
}
