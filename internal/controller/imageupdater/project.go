package imageupdater

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/project"
)

// permitsRepository checks that the Application's project lets it use the
// repository its git-repository annotation names: without the check, that
// annotation would let its author push, with capstan's credentials, to any
// repository capstan can write to.
func (u *Updater) permitsRepository(ctx context.Context, app *v1alpha1.Application, repoURL string) error {
	var p v1alpha1.AppProject
	err := u.Client.Get(ctx, client.ObjectKey{Namespace: u.Opts.Namespace, Name: app.Spec.Project}, &p)
	switch {
	case apierrors.IsNotFound(err) && app.Spec.Project == project.Default:
		p = *project.DefaultProject()
	case err != nil:
		return fmt.Errorf("application %s/%s: project %s: %w", app.Namespace, app.Name, app.Spec.Project, err)
	}
	if err := project.PermitsSource(&p, repoURL); err != nil {
		return fmt.Errorf("application %s/%s: git-repository: %w", app.Namespace, app.Name, err)
	}
	return nil
}
