package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// capstanJitter is the spread capstan adds to every poll (fixed at 60 s in
// capstan run); a change through polling may wait for it.
const capstanJitter = 60 * time.Second

// changeWebhook times commits from the webhook POST to the new ConfigMap
// content in the API server: SingleChanges commits touching one app each,
// then one commit touching ChangeFraction of the apps.
func (b *bench) changeWebhook(ctx context.Context) error {
	c := &Change{}
	b.res.Change = c
	var single []float64
	for i := range min(b.opts.SingleChanges, len(b.apps)) {
		lat, err := b.change(ctx, b.apps[i:i+1], true, b.opts.ConvergeTimeout)
		if err != nil {
			return err
		}
		single = append(single, lat...)
		// A push refreshes every app of the repository; each commit is
		// timed from a quiet capstan, not behind the previous one's tail.
		if err := b.settle(ctx); err != nil {
			return err
		}
	}
	c.Single = summarise(single)
	b.logf("one app through the webhook: p50 %.3fs p99 %.3fs (%d commits)", c.Single.P50, c.Single.P99, c.Single.N)
	if err := b.settle(ctx); err != nil {
		return err
	}

	before, err := b.snapshot(ctx)
	if err != nil {
		return err
	}
	writesBefore := b.appSt.writes()
	batch := b.batch(0)
	lat, err := b.change(ctx, batch, true, b.opts.ConvergeTimeout)
	if err != nil {
		return err
	}
	c.Batch = summarise(lat)
	if err := b.settle(ctx); err != nil {
		return err
	}
	if c.BatchRequests, _, err = b.since(ctx, before); err != nil {
		return err
	}
	c.RequestsPerApp = c.BatchRequests.Total / float64(len(batch))
	c.Cost = changeCost(c.BatchRequests, batch, writesBefore, b.appSt.writes())
	b.logf("%d apps through the webhook: p50 %.3fs p99 %.3fs", len(batch), c.Batch.P50, c.Batch.P99)
	b.logf("its cost: %.2f requests per changed app besides status writes; %.0f status writes for %d apps whose status changed",
		c.Cost.RequestsPerApp(), c.BatchRequests.ByVerb["status-write"], c.Cost.StatusChangedApps())
	return nil
}

// changeCost decomposes the requests of a change of the apps in changed
// against the target, with the Applications' stored writes between the
// readings before and after (appStates.writes).
func changeCost(r Requests, changed []App, before, after map[string]appSeen) ChangeCost {
	n := float64(len(changed))
	c := ChangeCost{
		ChangedApps:   len(changed),
		AppliesPerApp: r.ByVerb["patch"] / n,
		ReadsPerApp:   (r.ByVerb["get"] + r.ByVerb["list"]) / n,
		EventsPerApp:  r.ByVerb["event-write"] / n,
		OtherPerApp:   (r.ByVerb["create"] + r.ByVerb["update"] + r.ByVerb["delete"] + r.ByVerb["other"]) / n,
		Watches:       r.ByVerb["watch"],
		StatusWrites:  r.ByVerb["status-write"],
	}
	isChanged := map[string]bool{}
	for _, a := range changed {
		isChanged[a.Name] = true
	}
	for name, now := range after {
		was := before[name]
		rev, other := now.revisionMoves-was.revisionMoves, now.otherMoves-was.otherMoves
		switch {
		case rev+other == 0:
		case isChanged[name]:
			c.ChangedAppsWritten++
			c.ChangedAppWrites += rev + other
		case other == 0:
			c.RevisionOnlyApps++
			c.RevisionOnlyWrites += rev
		default:
			c.OtherApps++
			c.OtherWrites += rev + other
		}
	}
	return c
}

// changePoll times a commit touching ChangeFraction of the apps with no
// webhook, from the push to the new content in the API server. capstan
// runs with timeout.reconciliation = PollChangeInterval by then (see
// restart).
func (b *bench) changePoll(ctx context.Context) error {
	batch := b.batch(1)
	timeout := 2*b.opts.PollChangeInterval + capstanJitter + time.Minute + b.perApp(100*time.Millisecond)
	b.logf("%d apps through polling every %s (+ up to %s jitter)", len(batch), b.opts.PollChangeInterval, capstanJitter)
	lat, err := b.change(ctx, batch, false, timeout)
	if err != nil {
		return err
	}
	if b.res.Change == nil { // the webhook phase was skipped
		b.res.Change = &Change{}
	}
	b.res.Change.Poll = summarise(lat)
	b.logf("%d apps through polling: p50 %.1fs p99 %.1fs", len(batch), b.res.Change.Poll.P50, b.res.Change.Poll.P99)
	return b.settle(ctx)
}

// batch picks ChangeFraction of the apps spread over the whole set; round
// shifts the pick so that two batches touch different apps.
func (b *bench) batch(round int) []App {
	n := max(1, int(math.Round(b.opts.ChangeFraction*float64(len(b.apps)))))
	step := max(1, len(b.apps)/n)
	var out []App
	for i := 0; i < n; i++ {
		out = append(out, b.apps[(i*step+round*step/2+round)%len(b.apps)])
	}
	return out
}

// change commits a new revision of the given apps, announces it through
// the webhook if asked, and returns for each app the seconds until its
// ConfigMap held the new revision.
func (b *bench) change(ctx context.Context, set []App, webhook bool, timeout time.Duration) ([]float64, error) {
	b.revision++
	rev := revisionName(b.revision)
	if err := b.repo.writeApps(set, rev, b.opts.ConfigMapBytes); err != nil {
		return nil, err
	}
	keys := make([]string, len(set))
	for i, a := range set {
		keys[i] = a.Namespace + "/" + configMapName
		b.configW.expect(keys[i], time.Now(), nil, hasRevision(rev))
	}
	before := b.head
	head, err := b.repo.commitAndPush(fmt.Sprintf("change %d apps to %s", len(set), rev))
	if err != nil {
		return nil, err
	}
	b.head = head
	var event []byte
	if webhook {
		// Built before the clock starts: it runs git log.
		if event, err = b.repo.pushEvent(before, head); err != nil {
			return nil, fmt.Errorf("build the push webhook: %w", err)
		}
	}
	start := time.Now()
	if webhook {
		if err := b.postWebhook(ctx, event); err != nil {
			return nil, err
		}
	}
	for _, k := range keys {
		b.configW.restart(k, start)
	}
	return b.configW.wait(ctx, keys, timeout)
}

func hasRevision(rev string) func(*unstructured.Unstructured) bool {
	return func(u *unstructured.Unstructured) bool {
		v, _, _ := unstructured.NestedString(u.Object, "data", revisionKey)
		return v == rev
	}
}

// postWebhook sends capstan a GitHub push event (pushEvent).
func (b *bench) postWebhook(ctx context.Context, event []byte) error {
	url := "http://" + b.capstan.webhook + "/api/webhook"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(event))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-GitHub-Event", "push")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("post the push webhook: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("post the push webhook: %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	return nil
}
