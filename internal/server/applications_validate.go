package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/cluster"
	"github.com/capstan-cd/capstan/internal/project"
)

// specError is a refusal of an Application's spec, with the status to
// answer it with.
type specError struct {
	status int
	err    error
}

func (e *specError) Error() string { return e.err.Error() }
func (e *specError) Unwrap() error { return e.err }

func invalidSpec(format string, args ...any) error {
	return &specError{status: http.StatusBadRequest, err: fmt.Errorf(format, args...)}
}

// writeSpecError answers err: a refusal with its status, a Kubernetes
// error as such.
func writeSpecError(w http.ResponseWriter, err error, name string) {
	var se *specError
	if errors.As(err, &se) {
		writeError(w, se.status, "application spec for %s is invalid: %v", name, se.err)
		return
	}
	writeKubeError(w, err, "check Application %s", name)
}

// checkSpec refuses an Application its project does not allow, as the
// controller would: each source's repository, and the destination known
// by its cluster's server and name. With validate, a destination cluster
// capstan does not know is refused too; without, it is checked as
// written.
func (a *API) checkSpec(ctx context.Context, app *v1alpha1.Application, validate bool) (*v1alpha1.AppProject, error) {
	if app.Name == "" {
		return nil, invalidSpec("the Application has no name")
	}
	sources := app.Spec.GetSources()
	if len(sources) == 0 && app.Spec.SourceHydrator == nil {
		return nil, invalidSpec("spec.source or spec.sources must be set")
	}
	p, err := a.projectNamed(ctx, projectOf(app))
	if err != nil {
		return nil, err
	}
	for _, src := range sources {
		if err := project.PermitsSource(p, src.RepoURL); err != nil {
			return nil, invalidSpec("%w", err)
		}
	}
	dest, err := a.resolveDestination(ctx, app.Spec.Destination)
	if err != nil && (validate || !errors.Is(err, cluster.ErrUnknownDestination)) {
		return nil, invalidSpec("%w", err)
	}
	if err := project.PermitsDestination(p, dest); err != nil {
		return nil, invalidSpec("%w", err)
	}
	return p, nil
}

// projectNamed reads an AppProject from the cache; "default" allows all
// when it does not exist, any other missing project is an invalid spec.
func (a *API) projectNamed(ctx context.Context, name string) (*v1alpha1.AppProject, error) {
	p := &v1alpha1.AppProject{}
	err := a.Client.Get(ctx, client.ObjectKey{Namespace: a.Namespace, Name: name}, p)
	switch {
	case apierrors.IsNotFound(err) && name == project.Default:
		return project.DefaultProject(), nil
	case apierrors.IsNotFound(err):
		return nil, invalidSpec("application references project %s which does not exist", name)
	case err != nil:
		return nil, fmt.Errorf("get AppProject %s: %w", name, err)
	}
	return p, nil
}

// resolveDestination finds the cluster of dest among the in-cluster one
// and the cluster Secrets, and gives the destination by its server and
// name. A destination no cluster matches comes back as written, with the
// error.
func (a *API) resolveDestination(ctx context.Context, dest v1alpha1.ApplicationDestination) (v1alpha1.ApplicationDestination, error) {
	var secrets corev1.SecretList
	if err := a.Client.List(ctx, &secrets, client.InNamespace(a.Namespace), client.MatchingLabels{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}); err != nil {
		return dest, fmt.Errorf("list cluster Secrets: %w", err)
	}
	// Only names and servers matter here: the configuration is a stand-in.
	clusters, _ := cluster.NewDestinations(&rest.Config{}, secrets.Items)
	c, err := clusters.Resolve(dest)
	if err != nil {
		return dest, err
	}
	return v1alpha1.ApplicationDestination{Server: c.Server, Name: c.Name, Namespace: dest.Namespace}, nil
}
