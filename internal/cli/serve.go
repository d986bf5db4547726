package cli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/capstan-cd/capstan/internal/server"
	"github.com/capstan-cd/capstan/internal/settings"
)

// webhookHandler serves POST /api/webhook with the secrets of argocd-secret,
// as the settings watcher last read them, within the webhook's deadlines.
func webhookHandler(w *settings.Watcher, refresher server.Refresher, opts server.WebhookOptions) http.Handler {
	return server.WebhookDeadlines(&server.Webhook{
		Refresher: refresher,
		Options:   opts,
		Secrets: func(context.Context) (server.WebhookSecrets, error) {
			s := w.Current()
			return server.WebhookSecrets{
				GitHub:          s.Value(settings.Secret, "webhook.github.secret"),
				GitLab:          s.Value(settings.Secret, "webhook.gitlab.secret"),
				BitbucketUUID:   s.Value(settings.Secret, "webhook.bitbucket.uuid"),
				BitbucketServer: s.Value(settings.Secret, "webhook.bitbucketserver.secret"),
				Gogs:            s.Value(settings.Secret, "webhook.gogs.secret"),
			}, nil
		},
	}, opts)
}

// everyReplica is a runnable that runs on every replica, leader or not.
type everyReplica manager.RunnableFunc

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }

// NeedLeaderElection is false: followers serve too.
func (everyReplica) NeedLeaderElection() bool { return false }

// httpServer runs srv on address for as long as the manager runs, on
// every replica: a webhook reaching a follower is passed to the leader.
// It serves TLS when srv has a TLS configuration.
func httpServer(address string, srv *http.Server) everyReplica {
	return func(ctx context.Context) error {
		l, err := net.Listen("tcp", address)
		if err != nil {
			return err
		}
		go func() {
			<-ctx.Done()
			shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_ = srv.Shutdown(shutdown)
		}()
		serve := func() error { return srv.Serve(l) }
		if srv.TLSConfig != nil {
			serve = func() error { return srv.ServeTLS(l, "", "") }
		}
		if err := serve(); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
