package hostile

import (
	"context"
	"regexp"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Item 5 of the issue: what one project fetched with its credentials is
// never served to another without them, and repositories on the
// controller's own disk are refused unless the operator allows them.

// A private repository that project cred-a reads with its own repository
// Secret is refused to project cred-b, which has no credentials, even
// though capstan has the commit in its caches; cred-b's failure is not
// served back to cred-a, which syncs the next commit.
func TestPrivateRepositoryStaysWithItsProject(t *testing.T) {
	const token = "private-token-51d0"
	owner := newAttack(t, "cred-a")
	owner.project(nil)
	other := newAttack(t, "cred-b")
	other.project(nil)
	other.forbid(&corev1.ConfigMap{}, other.namespace(), "private")

	r := newRepo(t, suite.private, "repo")
	r.commit(t, tree{files: map[string]string{"app/cm.yaml": configMap("private", "", map[string]string{"token": token})}})
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "cred-a-repo", Namespace: controlPlane, Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}},
		StringData: map[string]string{"url": r.url, "username": privateUser, "password": privatePassword, "project": "cred-a"},
	}
	owner.create(secret)
	t.Cleanup(func() { _ = suite.cl.Delete(context.Background(), secret) })

	owner.app("cred-a", directory(r.url), nil)
	owner.waitSynced("cred-a")
	other.app("cred-b", directory(r.url), nil)
	msg := other.waitCause("cred-b", "(?i)auth", regexp.QuoteMeta(r.url))
	if regexp.MustCompile(privatePassword).MatchString(msg) {
		t.Errorf("the message shows the password: %s", msg)
	}
	other.survived()

	r.commit(t, tree{files: map[string]string{"app/cm.yaml": configMap("private", "", map[string]string{"token": token, "next": "2"})}})
	err := poll(func(ctx context.Context) (bool, error) {
		cm := &corev1.ConfigMap{}
		if err := suite.cl.Get(ctx, objectKey(owner.namespace(), "private"), cm); err != nil {
			return false, nil
		}
		return cm.Data["next"] == "2", nil
	})
	if err != nil {
		app, _ := get(context.Background(), "cred-a")
		t.Fatalf("cred-a did not sync its next commit after cred-b's failure: %s", describe(app))
	}
	if err := other.breached(context.Background()); err != nil {
		t.Error(err)
	}
}

// A file:// repository, which reads the controller's own disk, is refused
// when the operator has not allowed such repositories, with a message
// naming the URL and how to allow them.
func TestFileRepositoryRefusedByDefault(t *testing.T) {
	a := newAttack(t, "file-url")
	a.project(nil)
	a.forbid(&corev1.ConfigMap{}, a.namespace(), "local")
	r := newRepo(t, suite.public, "repo")
	r.commit(t, tree{files: map[string]string{"app/cm.yaml": configMap("local", "", nil)}})
	a.app("file-url", directory(r.URL()), nil)
	a.waitCause("file-url", regexp.QuoteMeta(r.URL()), "(?i)refused|not allowed")
	a.survived()
}
