package application

import (
	"context"
	gosync "sync"
	"time"
)

// renderFresh renders the sources, and renders them again when discovery
// learned a kind meanwhile (checking the objects' kinds refreshes it): the
// namespaces a render gave objects of a kind the destination did not know
// yet, it gives otherwise once the kind's CRD exists. The render cache is
// keyed by what discovery knows, so the second render is a real one.
func (r *Reconciler) renderFresh(ctx context.Context, st *state) error {
	known := st.target.applier.Discovery()
	if err := r.renderSources(ctx, st); err != nil {
		return err
	}
	if st.target.applier.Discovery() == known {
		return nil
	}
	return r.renderSources(ctx, st)
}

// compareFresh compares, and renders and compares again when discovery
// learned a kind since the render (the comparison looks each kind up, and
// a CRD an operator installed may have come to be served in between): the
// custom resources the render left without a namespace get the destination
// namespace before the sync applies them, as renderFresh gives them when
// discovery learns the kind during the render. The pass waits for kinds
// (waitForKinds) by what the last comparison met, once.
func (r *Reconciler) compareFresh(ctx context.Context, st *state) error {
	defer r.waitForKinds(st)
	if err := r.compare(ctx, st); err != nil {
		return err
	}
	if st.target.applier.Discovery() == st.renderedWith {
		return nil
	}
	if err := r.renderFresh(ctx, st); err != nil {
		return err
	}
	return r.compare(ctx, st)
}

// kindWaits backs off the passes of Applications that have objects of
// kinds their destination does not know: a CRD another Application or a
// person installs is found without waiting for the next poll, and without
// asking discovery again on every pass.
type kindWaits struct {
	mu gosync.Mutex
	m  map[string]int
}

const (
	kindWaitFirst = time.Second
	kindWaitMax   = time.Minute
)

// next is how long the Application named app waits before it looks
// again: doubling from kindWaitFirst up to kindWaitMax.
func (k *kindWaits) next(app string) time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m == nil {
		k.m = map[string]int{}
	}
	n := k.m[app]
	k.m[app] = n + 1
	return min(kindWaitFirst<<min(n, 16), kindWaitMax)
}

func (k *kindWaits) forget(app string) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.m, app)
}

// waitForKinds schedules the next pass of an Application whose comparison
// met kinds its destination does not know.
func (r *Reconciler) waitForKinds(st *state) {
	if !st.unknownKinds {
		r.kindWaits.forget(appKey(st.app))
		return
	}
	st.requeueWithin(r.kindWaits.next(appKey(st.app)))
}
