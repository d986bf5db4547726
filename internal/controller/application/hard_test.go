package application

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/settings"
)

// An Application's first pass starts its hard refresh clock; it is due
// once the interval has passed, and then starts again.
func TestHardRefreshesDue(t *testing.T) {
	start := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var h hardRefreshes
	steps := []struct {
		after time.Duration
		due   bool
		in    time.Duration
	}{
		{0, false, time.Minute},
		{30 * time.Second, false, 30 * time.Second},
		{time.Minute, true, time.Minute},
		{90 * time.Second, false, 30 * time.Second},
		{2 * time.Minute, true, time.Minute},
	}
	var got, want []string
	for _, s := range steps {
		now := start.Add(s.after)
		due := h.due("argocd/web", now, time.Minute)
		got = append(got, fmt.Sprintf("%s due=%t in=%s", s.after, due, h.in("argocd/web", now, time.Minute)))
		want = append(want, fmt.Sprintf("%s due=%t in=%s", s.after, s.due, s.in))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hard refreshes (-want +got):\n%s", diff)
	}
	h.forget("argocd/web")
	if h.due("argocd/web", start.Add(time.Hour), time.Minute) {
		t.Error("a forgotten Application was due at once")
	}
}

// The next pass comes at the next poll or the next hard refresh, whichever
// is sooner; with polling off, at the next hard refresh.
func TestNextPassHonoursHardReconciliation(t *testing.T) {
	now := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cm   map[string]string
		want time.Duration
	}{
		{"no hard refresh", map[string]string{"timeout.reconciliation": "3m", "timeout.reconciliation.jitter": "0s"}, 3 * time.Minute},
		{"hard refresh sooner", map[string]string{"timeout.reconciliation": "3m", "timeout.reconciliation.jitter": "0s", "timeout.hard.reconciliation": "1m"}, time.Minute},
		{"poll sooner", map[string]string{"timeout.reconciliation": "30s", "timeout.reconciliation.jitter": "0s", "timeout.hard.reconciliation": "1m"}, 30 * time.Second},
		{"polling off", map[string]string{"timeout.reconciliation": "0", "timeout.hard.reconciliation": "1m"}, time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := settings.Parse(settings.Data{settings.ConfigMap: tt.cm})
			if err != nil {
				t.Fatal(err)
			}
			r := &Reconciler{Settings: &switchable{s: s}}
			st := &state{app: &v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Namespace: "argocd", Name: "web"}}, now: now}
			st.settings, _ = r.customized(context.Background())
			r.hard.due(appKey(st.app), now, s.HardResync)
			if got := r.next(st); got != tt.want {
				t.Errorf("next pass in %s, want %s", got, tt.want)
			}
		})
	}
}
