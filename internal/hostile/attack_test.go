package hostile

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

const inCluster = "https://kubernetes.default.svc"

// attack is one hostile case: a tenant with its own AppProject, allowed
// the namespaces "<name>-*" of the local cluster and any repository, and
// one Application deploying to "<name>-app".
type attack struct {
	t    *testing.T
	name string
	// mark is the length of capstan's log when the case began.
	mark int64
	// breaches are checks of what must never happen; waitCause runs them
	// while it waits, so that a breach fails the case at once.
	breaches []func(context.Context) error
}

// newAttack starts a case. When the case ends, its Applications and
// project are deleted, so that a hostile render does not go on costing
// the next cases, and a failure prints what capstan logged meanwhile.
func newAttack(t *testing.T, name string) *attack {
	t.Helper()
	a := &attack{t: t, name: name, mark: suite.capstan.logSize()}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("capstan's log during the case (last lines):\n%s", suite.capstan.tail(a.mark, 40))
		}
		ctx := context.Background()
		var apps v1alpha1.ApplicationList
		if err := suite.cl.List(ctx, &apps, client.InNamespace(controlPlane)); err == nil {
			for i := range apps.Items {
				if apps.Items[i].Spec.Project == name {
					_ = suite.cl.Delete(ctx, &apps.Items[i])
				}
			}
		}
		_ = suite.cl.Delete(ctx, &v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controlPlane}})
	})
	return a
}

// namespace is the destination namespace of the case's Application.
func (a *attack) namespace() string { return a.name + "-app" }

// project creates the case's AppProject: the namespaces "<name>-*" of the
// local cluster, any repository, and change to apply before creating it.
// It also creates the destination namespace, which the tenant may not.
func (a *attack) project(change func(*v1alpha1.AppProjectSpec)) {
	a.t.Helper()
	spec := v1alpha1.AppProjectSpec{
		SourceRepos:  []string{"*"},
		Destinations: []v1alpha1.ApplicationDestination{{Server: inCluster, Namespace: a.name + "-*"}},
	}
	if change != nil {
		change(&spec)
	}
	a.create(&v1alpha1.AppProject{ObjectMeta: metav1.ObjectMeta{Name: a.name, Namespace: controlPlane}, Spec: spec})
	a.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: a.namespace()}})
}

// app creates an Application of the case's project syncing src into the
// case's namespace automatically, changed by change when not nil.
func (a *attack) app(name string, src v1alpha1.ApplicationSource, change func(*v1alpha1.Application)) {
	a.t.Helper()
	app := &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: controlPlane},
		Spec: v1alpha1.ApplicationSpec{
			Project:     a.name,
			Source:      &src,
			Destination: v1alpha1.ApplicationDestination{Server: inCluster, Namespace: a.namespace()},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true}},
		},
	}
	if change != nil {
		change(app)
	}
	a.create(app)
}

func (a *attack) create(obj client.Object) {
	a.t.Helper()
	if err := suite.cl.Create(context.Background(), obj); err != nil && !apierrors.IsAlreadyExists(err) {
		a.t.Fatalf("create %T %s: %v", obj, obj.GetName(), err)
	}
}

// get reads an Application.
func get(ctx context.Context, name string) (*v1alpha1.Application, error) {
	app := &v1alpha1.Application{}
	err := suite.cl.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: name}, app)
	return app, err
}

// messages are what an Application tells a user about its trouble: its
// conditions, its operation's message and the results of its resources.
func messages(app *v1alpha1.Application) []string {
	var out []string
	for _, c := range app.Status.Conditions {
		out = append(out, string(c.Type)+": "+c.Message)
	}
	if op := app.Status.OperationState; op != nil {
		if op.Message != "" {
			out = append(out, "operation "+string(op.Phase)+": "+op.Message)
		}
		if op.SyncResult != nil {
			for _, r := range op.SyncResult.Resources {
				if r.Message != "" {
					out = append(out, fmt.Sprintf("result %s/%s %s: %s", r.Kind, r.Name, r.Status, r.Message))
				}
			}
		}
	}
	return out
}

// waitCause waits until the Application name reports a message matching
// every one of the regular expressions cause, and returns it. It fails the
// test with what the Application did report when none does in time.
func (a *attack) waitCause(name string, cause ...string) string {
	a.t.Helper()
	res := make([]*regexp.Regexp, len(cause))
	for i, c := range cause {
		res[i] = regexp.MustCompile(c)
	}
	var last *v1alpha1.Application
	var found string
	err := poll(func(ctx context.Context) (bool, error) {
		app, err := get(ctx, name)
		if err != nil {
			return false, nil
		}
		last = app
		if err := a.breached(ctx); err != nil {
			return false, err
		}
		for _, m := range messages(app) {
			if matchAll(res, m) {
				found = m
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		a.t.Fatalf("Application %s never named the cause %q (%v): %s", name, cause, err, describe(last))
	}
	a.t.Logf("%s: %s", name, truncate(found, 300))
	return found
}

func matchAll(res []*regexp.Regexp, s string) bool {
	for _, re := range res {
		if !re.MatchString(s) {
			return false
		}
	}
	return true
}

// waitSynced waits until the Application name is Synced and its last
// operation succeeded.
func (a *attack) waitSynced(name string) *v1alpha1.Application {
	a.t.Helper()
	var last *v1alpha1.Application
	err := poll(func(ctx context.Context) (bool, error) {
		app, err := get(ctx, name)
		if err != nil {
			return false, nil
		}
		last = app
		op := app.Status.OperationState
		return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && op != nil && op.Phase == v1alpha1.OperationSucceeded, nil
	})
	if err != nil {
		a.t.Fatalf("Application %s never synced: %s", name, describe(last))
	}
	return last
}

// describe sums up an Application's status for a failure message.
func describe(app *v1alpha1.Application) string {
	if app == nil {
		return "no Application"
	}
	msgs := messages(app)
	for i, m := range msgs {
		msgs[i] = truncate(m, 500)
	}
	if len(msgs) == 0 {
		st, _ := json.Marshal(app.Status)
		msgs = append(msgs, "status: "+truncate(string(st), 2000))
	}
	return fmt.Sprintf("sync %q, health %q, messages:\n  %s", app.Status.Sync.Status, app.Status.Health.Status, strings.Join(msgs, "\n  "))
}

// survived asserts what every case ends with: the capstan process is the
// one the suite started and logged no panic during the case, and another
// team's Application still syncs a new commit.
func (a *attack) survived() {
	a.t.Helper()
	suite.capstan.alive(a.t)
	if crashes := suite.capstan.crashesSince(a.mark); len(crashes) > 0 {
		a.t.Errorf("capstan panicked during the case:\n%s", strings.Join(crashes, "\n"))
	}
	canarySyncs(a.t)
	suite.capstan.alive(a.t)
	if err := a.breached(context.Background()); err != nil {
		a.t.Error(err)
	}
}

// poll runs cond until it holds, for at most bounded.
func poll(cond wait.ConditionWithContextFunc) error {
	ctx, cancel := context.WithTimeout(context.Background(), bounded)
	defer cancel()
	return wait.PollUntilContextCancel(ctx, 250*time.Millisecond, true, cond)
}

// forbid registers a breach: obj (its kind, namespace and name) applied.
func (a *attack) forbid(obj client.Object, namespace, name string) {
	a.breaches = append(a.breaches, func(ctx context.Context) error {
		err := suite.cl.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, obj)
		if apierrors.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("get %T %s/%s: %w", obj, namespace, name, err)
		}
		return fmt.Errorf("%T %s/%s was applied", obj, namespace, name)
	})
}

// forbidLeak registers a breach: secret found in a ConfigMap or Secret.
func (a *attack) forbidLeak(secret string) {
	a.breaches = append(a.breaches, func(ctx context.Context) error { return leaked(ctx, secret) })
}

// breached returns the first breach found.
func (a *attack) breached(ctx context.Context) error {
	for _, b := range a.breaches {
		if err := b(ctx); err != nil {
			return err
		}
	}
	return nil
}

// leaked reports a ConfigMap or Secret of the cluster holding secret: a
// host file or a private repository leaked.
func leaked(ctx context.Context, secret string) error {
	var cms corev1.ConfigMapList
	if err := suite.cl.List(ctx, &cms); err != nil {
		return err
	}
	for _, cm := range cms.Items {
		for k, v := range cm.Data {
			if strings.Contains(v, secret) || strings.Contains(k, secret) {
				return fmt.Errorf("ConfigMap %s/%s holds the secret in %s", cm.Namespace, cm.Name, k)
			}
		}
	}
	var secrets corev1.SecretList
	if err := suite.cl.List(ctx, &secrets); err != nil {
		return err
	}
	for _, s := range secrets.Items {
		for k, v := range s.Data {
			if strings.Contains(string(v), secret) {
				return fmt.Errorf("Secret %s/%s holds the secret in %s", s.Namespace, s.Name, k)
			}
		}
	}
	return nil
}

// refusal is the common shape of a case: a tenant commits a hostile tree,
// its Application must be refused with a message naming the cause, and
// what it tried must not be applied.
type refusal struct {
	// name names the case's project, Application and namespaces.
	name string
	tree tree
	// project changes the project's spec; nil keeps the default.
	project func(*v1alpha1.AppProjectSpec)
	// source changes the Application's source, a directory "app" by
	// default.
	source func(*v1alpha1.ApplicationSource)
	// cause are the regular expressions the message must all match.
	cause []string
	// forbid lists objects that must never be applied.
	forbid []object
	// leak is a secret that must appear in no ConfigMap or Secret.
	leak string
}

// object names one object of a kind.
type object struct {
	obj             client.Object
	namespace, name string
}

func (c refusal) run(t *testing.T) {
	t.Helper()
	a := newAttack(t, c.name)
	a.project(c.project)
	for _, f := range c.forbid {
		a.forbid(f.obj, f.namespace, f.name)
	}
	if c.leak != "" {
		a.forbidLeak(c.leak)
	}
	r := newRepo(t, suite.public, "repo")
	r.commit(t, c.tree)
	src := directory(r.url)
	if c.source != nil {
		c.source(&src)
	}
	a.app(c.name, src, nil)
	a.waitCause(c.name, c.cause...)
	a.survived()
}
