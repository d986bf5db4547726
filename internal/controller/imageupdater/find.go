package imageupdater

import (
	"context"
	"errors"

	"golang.org/x/sync/errgroup"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	iu "github.com/capstan-cd/capstan/internal/imageupdater"
)

// findUpdates asks the finder about every Application, a bounded number at
// once. An Application whose lookup partly failed keeps the updates that
// were found, and the error.
func (u *Updater) findUpdates(ctx context.Context, apps []*v1alpha1.Application) *Report {
	out := make([]AppReport, len(apps))
	limit := u.Opts.Concurrency
	if limit <= 0 {
		limit = 10
	}
	var g errgroup.Group
	g.SetLimit(limit)
	for i, app := range apps {
		g.Go(func() error {
			wb, werr := iu.ParseWriteBack(app.Annotations)
			var ups []iu.Update
			var ferr error
			if werr == nil {
				ups, ferr = u.Finder.Updates(ctx, app)
			}
			out[i] = AppReport{App: app, WriteBack: wb, Updates: ups, Err: errors.Join(werr, ferr)}
			return nil
		})
	}
	_ = g.Wait()
	return &Report{Apps: out}
}
