package v1alpha1

// Defaults of RetryStrategy.Backoff, applied when a field is unset.
const (
	DefaultBackoffDuration    = "5s"
	DefaultBackoffFactor      = int64(2)
	DefaultBackoffMaxDuration = "3m0s"
)

// SyncPolicy says when and how an Application is synced.
type SyncPolicy struct {
	// Automated syncs whenever the desired and live states differ.
	// +optional
	Automated *SyncPolicyAutomated `json:"automated,omitempty"`
	// +optional
	SyncOptions SyncOptions `json:"syncOptions,omitempty"`
	// Retry retries a failed sync.
	// +optional
	Retry *RetryStrategy `json:"retry,omitempty"`
	// ManagedNamespaceMetadata is applied to the namespace created by
	// CreateNamespace=true.
	// +optional
	ManagedNamespaceMetadata *ManagedNamespaceMetadata `json:"managedNamespaceMetadata,omitempty"`
}

// IsAutomatedSyncEnabled reports whether automated sync is configured and not
// switched off with automated.enabled=false.
func (p *SyncPolicy) IsAutomatedSyncEnabled() bool {
	if p == nil || p.Automated == nil {
		return false
	}
	return p.Automated.Enabled == nil || *p.Automated.Enabled
}

// SyncPolicyAutomated configures automated sync.
type SyncPolicyAutomated struct {
	// Prune deletes live resources that are no longer in the desired state.
	// +optional
	Prune bool `json:"prune,omitempty"`
	// SelfHeal syncs again when the live state drifts without a new revision.
	// +optional
	SelfHeal bool `json:"selfHeal,omitempty"`
	// AllowEmpty lets a sync prune every resource of the Application.
	// +optional
	AllowEmpty bool `json:"allowEmpty,omitempty"`
	// Enabled switches automated sync off while keeping its settings; unset means on.
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
}

// SyncOptions are "Key=value" sync options, e.g. "CreateNamespace=true".
type SyncOptions []string

// RetryStrategy retries a failed sync with exponential backoff.
type RetryStrategy struct {
	// Limit is the number of retries; a negative value retries forever.
	// +optional
	Limit int64 `json:"limit,omitempty"`
	// +optional
	Backoff *Backoff `json:"backoff,omitempty"`
	// Refresh retries with the latest revision instead of the failed one.
	// +optional
	Refresh bool `json:"refresh,omitempty"`
}

// Backoff is the delay between retries: Duration, multiplied by Factor after
// each failure, capped at MaxDuration.
type Backoff struct {
	// Duration is a Go duration string ("5s") or a number of seconds.
	// +optional
	Duration string `json:"duration,omitempty"`
	// +optional
	Factor *int64 `json:"factor,omitempty"`
	// +optional
	MaxDuration string `json:"maxDuration,omitempty"`
}

// ManagedNamespaceMetadata is the labels and annotations of a created namespace.
type ManagedNamespaceMetadata struct {
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// Operation is a request to act on an Application; sync is the only kind.
type Operation struct {
	// +optional
	Sync *SyncOperation `json:"sync,omitempty"`
	// +optional
	InitiatedBy OperationInitiator `json:"initiatedBy,omitempty,omitzero"`
	// +optional
	Info []Info `json:"info,omitempty"`
	// Retry overrides spec.syncPolicy.retry for this operation.
	// +optional
	Retry RetryStrategy `json:"retry,omitempty,omitzero"`
}

// OperationInitiator records who or what requested an operation.
type OperationInitiator struct {
	// +optional
	Username string `json:"username,omitempty"`
	// Automated is true when the controller itself started the operation.
	// +optional
	Automated bool `json:"automated,omitempty"`
}

// SyncOperation is a requested sync.
type SyncOperation struct {
	// Revision to sync to; empty means spec's target revision.
	// +optional
	Revision string `json:"revision,omitempty"`
	// +optional
	Prune bool `json:"prune,omitempty"`
	// +optional
	DryRun bool `json:"dryRun,omitempty"`
	// +optional
	SyncStrategy *SyncStrategy `json:"syncStrategy,omitempty"`
	// Resources limits the sync to these resources; empty means all.
	// +optional
	Resources []SyncOperationResource `json:"resources,omitempty"`
	// Source overrides spec.source for this sync.
	// +optional
	Source *ApplicationSource `json:"source,omitempty"`
	// Manifests are applied instead of rendering the source.
	// +optional
	Manifests []string `json:"manifests,omitempty"`
	// +optional
	SyncOptions SyncOptions `json:"syncOptions,omitempty"`
	// Sources overrides spec.sources for this sync.
	// +optional
	Sources ApplicationSources `json:"sources,omitempty"`
	// Revisions to sync to, one per source, when the Application has several.
	// +optional
	Revisions []string `json:"revisions,omitempty"`
	// AutoHealAttemptsCount counts consecutive self-heal syncs.
	// +optional
	AutoHealAttemptsCount int64 `json:"autoHealAttemptsCount,omitempty"`
}

// SyncStrategy chooses between `kubectl apply` and hooks-aware sync.
type SyncStrategy struct {
	// +optional
	Apply *SyncStrategyApply `json:"apply,omitempty"`
	// +optional
	Hook *SyncStrategyHook `json:"hook,omitempty"`
}

// SyncStrategyApply syncs with a plain apply and skips hooks.
type SyncStrategyApply struct {
	// Force deletes and recreates resources that cannot be patched.
	// +optional
	Force bool `json:"force,omitempty"`
}

// SyncStrategyHook syncs with apply and runs hooks; this is the default.
type SyncStrategyHook struct {
	SyncStrategyApply `json:",inline"`
}

// SyncOperationResource selects one resource for a partial sync.
type SyncOperationResource struct {
	// +optional
	Group string `json:"group,omitempty"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// GetAutomated returns the automated policy; nil when the policy or its
// automated block is unset.
func (p *SyncPolicy) GetAutomated() *SyncPolicyAutomated {
	if p == nil {
		return nil
	}
	return p.Automated
}
