package application

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// TestRepositoryCredentialsComeFromSecrets syncs from a private repository
// with the credentials of a repository Secret, and shows that a wrong
// password is reported without the password.
func TestRepositoryCredentialsComeFromSecrets(t *testing.T) {
	cl := startController(t)
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("deploy", "right-pass-123"))
	repo := srv.NewRepo(t, "private")
	repo.Commit(t, "main", map[string]string{"guestbook/deployment.yaml": deploymentYAML("private-web", "registry.invalid/web:1", 1)}, "web")
	repo.SetHead(t, "main")
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "private-repo", Namespace: controlPlane, Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeRepository}},
		StringData: map[string]string{"url": srv.RepoURL("private"), "username": "deploy", "password": "wrong-pass-456"},
	}
	if err := cl.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	if err := cl.Create(context.Background(), seedApp("private", srv.RepoURL("private"), "private")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a ComparisonError about authentication", func(ctx context.Context) (bool, error) {
		for _, c := range appStatus(t, cl, "private").Status.Conditions {
			if c.Type == v1alpha1.ApplicationConditionComparisonError {
				if strings.Contains(c.Message, "wrong-pass-456") {
					t.Fatalf("the condition shows the password: %s", c.Message)
				}
				return strings.Contains(c.Message, "auth"), nil
			}
		}
		return false, nil
	})

	secret.StringData = map[string]string{"password": "right-pass-123"}
	if err := cl.Update(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	updateApp(t, cl, "private", func(a *v1alpha1.Application) {
		a.Annotations = map[string]string{v1alpha1.AnnotationRefresh: "normal"}
	})
	waitFor(t, "Synced and Healthy with the right password", func(ctx context.Context) (bool, error) {
		a := appStatus(t, cl, "private")
		return a.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && a.Status.Health.Status == v1alpha1.HealthStatusHealthy, nil
	})
}
