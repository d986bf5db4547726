package rbac

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/go-logr/logr"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Batch decides one action of one caller on many objects of a resource,
// as a list filtered by permission asks: the same answers as Enforce,
// at a fraction of the cost. The policy in force when the batch starts
// decides all its objects, and each AppProject is read once. Within a
// project, when no permission that may bear on the question tells one of
// the project's objects from another (patterns such as "<project>/*",
// "*/*" or another project's), one decision holds for every object of the
// project; otherwise each object is decided on its own.
//
// A Batch is for one goroutine.
type Batch struct {
	ctx context.Context
	p   *policy
	// lookup reads an AppProject; nil and no error when there is none.
	lookup           func(ctx context.Context, name string) (*v1alpha1.AppProject, error)
	c                Claims
	resource, action string
	projects         map[string]*projectBatch
}

// projectBatch is what a batch knows of one project.
type projectBatch struct {
	proj *v1alpha1.AppProject
	enf  *engine
	// failed is set when the project could not be read: every object
	// of it is denied, as Enforce denies it.
	failed bool
	// uniform is set when one decision holds for every object under the
	// project ("<project>/..."); allowed is that decision once decided.
	uniform, decided, allowed bool
}

// Batch starts a batch of questions by c about action on objects of
// resource.
func (e *Enforcer) Batch(ctx context.Context, c Claims, resource, action string) *Batch {
	return newBatch(ctx, e.current.Load(), e.readProject, c, resource, action)
}

func newBatch(ctx context.Context, p *policy, lookup func(context.Context, string) (*v1alpha1.AppProject, error), c Claims, resource, action string) *Batch {
	return &Batch{ctx: ctx, p: p, lookup: lookup, c: c, resource: resource, action: action, projects: map[string]*projectBatch{}}
}

// readProject reads AppProject name: nil when there is none, or when the
// Enforcer has no reader.
func (e *Enforcer) readProject(ctx context.Context, name string) (*v1alpha1.AppProject, error) {
	if e.reader == nil {
		return nil, nil
	}
	proj := &v1alpha1.AppProject{}
	err := e.reader.Get(ctx, client.ObjectKey{Namespace: e.namespace, Name: name}, proj)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return proj, nil
}

// Allows reports whether the caller may take the batch's action on
// object, as Enforce would.
func (b *Batch) Allows(object string) bool {
	name := ProjectOf(b.resource, object)
	pb := b.project(name)
	if pb.failed {
		return false
	}
	r := request{b.resource, b.action, object}
	if !pb.uniform || !under(object, name) {
		return b.p.decideWith(b.ctx, pb.enf, pb.proj, b.c, r)
	}
	if !pb.decided {
		pb.allowed, pb.decided = b.p.decideWith(b.ctx, pb.enf, pb.proj, b.c, r), true
	}
	return pb.allowed
}

// under reports whether object is "<project>/<rest>" with a rest a
// project's shapes can speak for: valid UTF-8 without a newline.
func under(object, project string) bool {
	n := len(project)
	if len(object) <= n || object[n] != '/' || object[:n] != project {
		return false
	}
	rest := object[n+1:]
	return utf8.ValidString(rest) && strings.IndexByte(rest, '\n') < 0
}

// project is what the batch knows of project name, read on first use.
func (b *Batch) project(name string) *projectBatch {
	if pb, ok := b.projects[name]; ok {
		return pb
	}
	pb := &projectBatch{enf: b.p.global}
	b.projects[name] = pb
	if name != "" {
		proj, err := b.lookup(b.ctx, name)
		switch {
		case err != nil:
			logr.FromContextOrDiscard(b.ctx).Error(err, "read the AppProject of a request; denied", "project", name, "resource", b.resource, "action", b.action)
			pb.failed = true
			return pb
		case proj != nil:
			pb.proj, pb.enf = proj, b.p.forProject(b.ctx, proj)
		}
	}
	pb.uniform = validPrefix(name) && b.uniformIn(pb, name+"/")
	return pb
}

// uniformIn reports whether every permission that may bear on the
// batch's question, for any subject decide asks about, matches all or
// none of the objects under prefix.
func (b *Batch) uniformIn(pb *projectBatch, prefix string) bool {
	for _, subject := range b.p.askedSubjects(pb.proj, b.c, nil) {
		if !pb.enf.uniformFor(subject, b.resource, b.action, prefix) {
			return false
		}
	}
	return true
}
