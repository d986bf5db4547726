package cli

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/manager"

	"github.com/capstan-cd/capstan/internal/server"
)

// webhookHandler serves POST /api/webhook with the secrets of argocd-secret.
func webhookHandler(c client.Reader, namespace string, refresher server.Refresher, opts server.WebhookOptions) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/api/webhook", &server.Webhook{
		Refresher: refresher,
		Options:   opts,
		Secrets: func(ctx context.Context) (server.WebhookSecrets, error) {
			s := &corev1.Secret{}
			err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "argocd-secret"}, s)
			if apierrors.IsNotFound(err) {
				return server.WebhookSecrets{}, nil
			}
			if err != nil {
				return server.WebhookSecrets{}, err
			}
			return server.WebhookSecrets{
				GitHub:          string(s.Data["webhook.github.secret"]),
				GitLab:          string(s.Data["webhook.gitlab.secret"]),
				BitbucketUUID:   string(s.Data["webhook.bitbucket.uuid"]),
				BitbucketServer: string(s.Data["webhook.bitbucketserver.secret"]),
				Gogs:            string(s.Data["webhook.gogs.secret"]),
			}, nil
		},
	})
	return mux
}

// everyReplica is a runnable that runs on every replica, leader or not.
type everyReplica manager.RunnableFunc

func (f everyReplica) Start(ctx context.Context) error { return f(ctx) }

// NeedLeaderElection is false: followers serve too.
func (everyReplica) NeedLeaderElection() bool { return false }

// httpServer runs handler on address for as long as the manager runs, on
// every replica: a webhook reaching a follower is passed to the leader.
func httpServer(address string, handler http.Handler, opts server.WebhookOptions) everyReplica {
	return func(ctx context.Context) error {
		srv := server.NewHTTPServer(handler, opts)
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
		if err := srv.Serve(l); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
}
