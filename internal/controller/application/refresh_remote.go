package application

import (
	"context"
	"fmt"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// RemoteRefresher refreshes the Applications a push concerns through the
// refresh annotation, which the controller acts on: what a process that
// runs no controller (`capstan server`) does with a webhook.
type RemoteRefresher struct {
	Client    client.Client
	Namespace string
}

// Refresh asks for a refresh of every Application push concerns and says
// how many.
func (rr RemoteRefresher) Refresh(ctx context.Context, push source.Push) (int, error) {
	// Read only, as the controller's Refresh reads them.
	var apps v1alpha1.ApplicationList
	if err := rr.Client.List(ctx, &apps, client.InNamespace(rr.Namespace), client.UnsafeDisableDeepCopy); err != nil {
		return 0, fmt.Errorf("list Applications: %w", err)
	}
	r := &Reconciler{Client: rr.Client}
	n := 0
	for i := range apps.Items {
		if concerned, _ := pushConcerns(push, &apps.Items[i]); !concerned {
			continue
		}
		if err := r.requestRefresh(ctx, &apps.Items[i]); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
