package imageupdater

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// GitCredentials finds the credentials a Git write-back pushes with: those
// of the repository and repo-creds Secrets of the control-plane namespace,
// as for reading the repository, or the Secret git:secret:<ns>/<name>
// names, which must be in the control-plane namespace (with the keys of a
// repository Secret: username and password, or sshPrivateKey).
type GitCredentials struct {
	Client    client.Reader
	Namespace string
}

// For returns repoURL with the credentials to push to it for app.
func (c GitCredentials) For(ctx context.Context, app *v1alpha1.Application, wb WriteBack, repoURL string) (source.Repository, error) {
	if wb.Secret != "" {
		ns, name, _ := strings.Cut(wb.Secret, "/")
		if ns != c.Namespace {
			// Whoever writes an Application's annotations must not make
			// capstan read, and push with, a Secret of another namespace.
			return source.Repository{}, fmt.Errorf("git credentials secret %s: only Secrets of the control-plane namespace %s may be named", wb.Secret, c.Namespace)
		}
		var s corev1.Secret
		if err := c.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
			return source.Repository{}, fmt.Errorf("git credentials secret %s: %w", wb.Secret, err)
		}
		s.Labels = map[string]string{source.SecretTypeLabel: source.SecretTypeRepository}
		s.Data = cloneData(s.Data)
		s.Data["url"] = []byte(repoURL)
		repo, _ := source.NewCredentials([]corev1.Secret{s}).Lookup(repoURL, "")
		return repo, nil
	}
	var list corev1.SecretList
	if err := c.Client.List(ctx, &list, client.InNamespace(c.Namespace), client.HasLabels{source.SecretTypeLabel}); err != nil {
		return source.Repository{}, fmt.Errorf("list repository secrets in %s: %w", c.Namespace, err)
	}
	repo, _ := source.NewCredentials(list.Items).Lookup(repoURL, app.Spec.Project)
	return repo, nil
}

func cloneData(d map[string][]byte) map[string][]byte {
	out := make(map[string][]byte, len(d)+1)
	for k, v := range d {
		out[k] = v
	}
	return out
}
