package application

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/appcache"
	"github.com/capstan-cd/capstan/internal/source"
)

// RemoteRefresher refreshes the Applications a push concerns through the
// refresh annotation, which the controller acts on: what a process that
// runs no controller (`capstan server`) does with a webhook.
type RemoteRefresher struct {
	Client client.Client
	// Apps, when set, indexes the cache's Applications (see
	// Reconciler.Apps).
	Apps      *appcache.Index
	Namespace string
}

// Refresh asks for a refresh of every Application push concerns and says
// how many.
func (rr RemoteRefresher) Refresh(ctx context.Context, push source.Push) (int, error) {
	// Read only, as the controller's Refresh reads them.
	r := &Reconciler{Client: rr.Client, Apps: rr.Apps, Opts: Options{Namespace: rr.Namespace}}
	apps, err := r.listApps(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, app := range apps {
		if concerned, _ := pushConcerns(push, &app.Spec, app.Annotations); !concerned {
			continue
		}
		if err := r.requestRefresh(ctx, client.ObjectKeyFromObject(app)); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}
