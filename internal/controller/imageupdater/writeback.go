package imageupdater

import (
	"context"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	iu "github.com/capstan-cd/capstan/internal/imageupdater"
)

// writeBack writes every Application's updates by its method: a patch of
// the Application each, and for Git one commit per repository and branch.
// An Application whose last write-backs failed waits its backoff.
func (u *Updater) writeBack(ctx context.Context, r *Report, cfg iu.GitConfig) {
	now := u.clock().Now()
	var changes []iu.AppUpdates
	var pending []*AppReport
	for i := range r.Apps {
		a := &r.Apps[i]
		if len(a.Updates) == 0 || a.WriteBack.Method == "" {
			continue
		}
		if ok, next := u.due(a.Name(), now); !ok {
			a.Skipped = fmt.Sprintf("write-back failed recently; next attempt after %s", next.UTC().Format("15:04:05"))
			continue
		}
		switch a.WriteBack.Method {
		case iu.MethodArgoCD:
			changed, err := iu.PatchApplication(ctx, u.Client, client.ObjectKeyFromObject(a.App), a.Updates)
			a.Written, a.Err = changed, errors.Join(a.Err, err)
			u.outcome(a.Name(), err, now)
		case iu.MethodGit:
			if repo := a.WriteBack.Repository; repo != "" {
				if err := u.permitsRepository(ctx, a.App, repo); err != nil {
					a.Err = errors.Join(a.Err, err)
					continue
				}
			}
			changes = append(changes, iu.AppUpdates{App: a.App, WriteBack: a.WriteBack, Updates: a.Updates})
			pending = append(pending, a)
		}
	}
	if len(changes) == 0 {
		return
	}
	if u.Git == nil {
		for _, a := range pending {
			a.Err = errors.Join(a.Err, fmt.Errorf("application %s: the git write-back method is not available here", a.Name()))
		}
		return
	}
	w := &iu.GitWriter{Git: u.Git, Credentials: iu.GitCredentials{Client: u.Client, Namespace: u.Opts.Namespace}.For, Config: cfg}
	byApp := map[string]*AppReport{}
	for _, a := range pending {
		byApp[a.Name()] = a
	}
	for _, res := range w.Write(ctx, changes) {
		for _, app := range res.Apps {
			a := byApp[app.Namespace+"/"+app.Name]
			a.Written, a.Commit = res.Err == nil && res.SHA != "", res.SHA
			a.Err = errors.Join(a.Err, res.Err)
			u.outcome(a.Name(), res.Err, now)
		}
		if res.Err == nil && res.SHA != "" {
			logr.FromContextOrDiscard(ctx).Info("committed image updates", "repository", res.Repository, "branch", res.Branch, "commit", res.SHA, "applications", len(res.Apps))
		}
	}
}
