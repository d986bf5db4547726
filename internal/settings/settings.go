// Package settings reads an installation's settings from the ConfigMaps and
// the Secret Argo CD users already have in the control-plane namespace
// (argocd-cm, argocd-cmd-params-cm, argocd-rbac-cm, argocd-secret,
// argocd-ssh-known-hosts-cm, argocd-tls-certs-cm, argocd-gpg-keys-cm),
// once at start and then as they change, into one immutable snapshot. It
// holds every default in one place. A value it cannot read keeps the last
// good snapshot in force.
package settings

import (
	"maps"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/actions"
	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// The objects settings are read from.
const (
	ConfigMap  = "argocd-cm"
	CmdParams  = "argocd-cmd-params-cm"
	RBAC       = "argocd-rbac-cm"
	Secret     = "argocd-secret"
	KnownHosts = "argocd-ssh-known-hosts-cm"
	TLSCerts   = "argocd-tls-certs-cm"
	GPGKeys    = "argocd-gpg-keys-cm"
)

// ConfigMaps are the ConfigMaps settings are read from; Secret is the one
// Secret.
var ConfigMaps = []string{ConfigMap, CmdParams, RBAC, KnownHosts, TLSCerts, GPGKeys}

// capstan's own keys of argocd-cm.
const (
	KeyAllowFileRepositories   = "capstan.allowFileRepositories"
	KeyWebhookRequireSignature = "capstan.webhook.requireSignature"
)

// Defaults, as in Argo CD.
const (
	// DefaultResync is timeout.reconciliation: how often an Application's
	// sources are polled, and how long one ls-remote answer is reused.
	DefaultResync = 120 * time.Second
	// DefaultJitter is timeout.reconciliation.jitter: up to this much is
	// added to each poll so that polls spread out.
	DefaultJitter = 60 * time.Second
	// DefaultTracking is application.resourceTrackingMethod.
	DefaultTracking = tracking.MethodAnnotation
	// DefaultInstanceLabelKey is application.instanceLabelKey.
	DefaultInstanceLabelKey = tracking.DefaultLabelKey
)

// Data is the content of the settings objects: object name to key to
// value (a Secret's values decoded). A missing object is an empty map.
type Data map[string]map[string]string

// Settings is one snapshot of an installation's settings. It is shared
// by everything that reads settings and never changes once built: a
// change to the objects builds a new one.
type Settings struct {
	// Resync and Jitter are timeout.reconciliation and its jitter.
	Resync time.Duration
	Jitter time.Duration
	// HardResync is timeout.hard.reconciliation: how often an
	// Application is refreshed hard (its repositories asked again, every
	// object compared afresh); 0, the default, never.
	HardResync time.Duration
	// Tracking is application.resourceTrackingMethod and
	// application.instanceLabelKey.
	Tracking tracking.Policy
	// Resources are resource.exclusions and resource.inclusions.
	Resources Resources
	// Compare is resource.compareoptions, and the knownTypeFields of the
	// resource customizations.
	Compare diff.Options
	// Kustomize are the flags of kustomize.buildOptions that capstan
	// honours; the others are listed in Unsupported.
	Kustomize render.KustomizeOptions
	// AllowFileRepositories is capstan.allowFileRepositories: Applications
	// may read file:// and local-path repositories. Read at start.
	AllowFileRepositories bool
	// WebhookRequireSignature is capstan.webhook.requireSignature: every
	// webhook event must be signed. Read at start.
	WebhookRequireSignature bool
	// Health holds the custom health checks of
	// resource.customizations.health.<group_kind> and the
	// resource.customizations block.
	Health *health.Checks
	// Actions are the resource actions: the built-in ones and those of
	// resource.customizations.actions.<group_kind> and the block.
	Actions *actions.Set
	// IgnoreDifferences are the rules of
	// resource.customizations.ignoreDifferences.<group_kind> and .all
	// and of the block, each naming its group and kind ("*" for all);
	// an Application's own rules are added to them.
	IgnoreDifferences []v1alpha1.ResourceIgnoreDifferences
	// Unsupported lists the keys that are set but that capstan does not
	// honour, as "object: key", sorted.
	Unsupported []string

	// customizations digests the resource customizations, so that what
	// was computed under other customizations is not reused.
	customizations string
	data           Data
}

// Default is the snapshot of an installation with no settings objects.
func Default() *Settings {
	s, _ := Parse(nil)
	return s
}

// Value is the value of key in object, "" when not set. For keys that
// have no typed field yet (webhook secrets, RBAC policy, trust material).
func (s *Settings) Value(object, key string) string { return s.data[object][key] }

// Object is a copy of every key of object, for objects whose keys are
// not all known in advance (argocd-rbac-cm's policy.<name>.csv).
func (s *Settings) Object(object string) map[string]string { return maps.Clone(s.data[object]) }

// CustomizationKey digests the resource customizations and comparison
// settings in force: two snapshots with the same key assess health,
// ignore differences and track objects alike.
func (s *Settings) CustomizationKey() string { return s.customizations }
