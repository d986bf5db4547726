package rbac

import (
	"context"
	"maps"
	"sync"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/internal/settings"
)

// Watch returns an Enforcer of the argocd-rbac-cm in w's snapshot, kept
// in step with w until ctx ends: a change that parses is in force at
// once; one that does not is logged, naming the key and line, and the
// last good policy stays in force. When the first argocd-rbac-cm does not
// parse, only the built-in policy is in force (no default role) until it
// is fixed. w nil means the built-in policy alone.
func Watch(ctx context.Context, w *settings.Watcher, reader client.Reader, namespace string) *Enforcer {
	e := &Enforcer{reader: reader, namespace: namespace}
	_ = e.Load(Config{MatchMode: MatchGlob, Scopes: DefaultScopes})
	if w == nil {
		return e
	}
	var (
		mu   sync.Mutex
		last map[string]string
	)
	// Each call reads the snapshot in force, not the one it was given, so
	// that the first read and a concurrent change cannot end older first.
	apply := func(ctx context.Context, _ *settings.Settings) {
		mu.Lock()
		defer mu.Unlock()
		data := w.Current().Object(settings.RBAC)
		if last != nil && maps.Equal(last, data) {
			return
		}
		last = data
		log := logr.FromContextOrDiscard(ctx).WithName("rbac")
		cfg, err := ParseConfig(data)
		if err == nil {
			err = e.Load(cfg)
		}
		e.mu.Lock()
		e.err = err
		e.mu.Unlock()
		if err != nil {
			log.Error(err, "argocd-rbac-cm not applied; the last good policy stays in force", "namespace", namespace)
			return
		}
		log.Info("argocd-rbac-cm applied", "namespace", namespace, "permissions", len(cfg.Policy.Permissions), "grants", len(cfg.Policy.Grants), "default", cfg.Default, "matchMode", cfg.MatchMode)
	}
	w.Subscribe(apply)
	apply(ctx, w.Current())
	return e
}
