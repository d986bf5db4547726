package v1alpha1

// SyncStatusCode says whether the live state matches the desired state.
type SyncStatusCode string

// Sync status values.
const (
	SyncStatusCodeUnknown   SyncStatusCode = "Unknown"
	SyncStatusCodeSynced    SyncStatusCode = "Synced"
	SyncStatusCodeOutOfSync SyncStatusCode = "OutOfSync"
)

// HealthStatusCode is the health of a resource or of a whole Application.
type HealthStatusCode string

// Health values, from best to worst as Argo CD orders them when aggregating:
// Healthy, Suspended, Progressing, Missing, Degraded, Unknown.
const (
	HealthStatusUnknown     HealthStatusCode = "Unknown"
	HealthStatusProgressing HealthStatusCode = "Progressing"
	HealthStatusHealthy     HealthStatusCode = "Healthy"
	HealthStatusSuspended   HealthStatusCode = "Suspended"
	HealthStatusDegraded    HealthStatusCode = "Degraded"
	HealthStatusMissing     HealthStatusCode = "Missing"
)

// OperationPhase is the phase of an operation, or of a hook resource.
type OperationPhase string

// Operation phases.
const (
	OperationRunning     OperationPhase = "Running"
	OperationTerminating OperationPhase = "Terminating"
	OperationFailed      OperationPhase = "Failed"
	OperationError       OperationPhase = "Error"
	OperationSucceeded   OperationPhase = "Succeeded"
)

// Completed reports whether the phase is final.
func (p OperationPhase) Completed() bool {
	return p == OperationFailed || p == OperationError || p == OperationSucceeded
}

// Successful reports whether the phase is Succeeded.
func (p OperationPhase) Successful() bool {
	return p == OperationSucceeded
}

// ResultCode is what a sync did to one resource.
type ResultCode string

// Resource result codes.
const (
	ResultCodeSynced       ResultCode = "Synced"
	ResultCodeSyncFailed   ResultCode = "SyncFailed"
	ResultCodePruned       ResultCode = "Pruned"
	ResultCodePruneSkipped ResultCode = "PruneSkipped"
)

// HookType is the value of the argocd.argoproj.io/hook annotation.
type HookType string

// Hook types.
const (
	HookTypePreSync    HookType = "PreSync"
	HookTypeSync       HookType = "Sync"
	HookTypePostSync   HookType = "PostSync"
	HookTypeSkip       HookType = "Skip"
	HookTypeSyncFail   HookType = "SyncFail"
	HookTypePreDelete  HookType = "PreDelete"
	HookTypePostDelete HookType = "PostDelete"
)

// HookDeletePolicy is a value of the argocd.argoproj.io/hook-delete-policy annotation.
type HookDeletePolicy string

// Hook delete policies.
const (
	HookDeletePolicyHookSucceeded      HookDeletePolicy = "HookSucceeded"
	HookDeletePolicyHookFailed         HookDeletePolicy = "HookFailed"
	HookDeletePolicyBeforeHookCreation HookDeletePolicy = "BeforeHookCreation"
)

// SyncPhase is the phase of a sync a resource is applied in.
type SyncPhase string

// Sync phases, in the order they run (SyncFail only after a failure).
const (
	SyncPhasePreSync  SyncPhase = "PreSync"
	SyncPhaseSync     SyncPhase = "Sync"
	SyncPhasePostSync SyncPhase = "PostSync"
	SyncPhaseSyncFail SyncPhase = "SyncFail"
)

// ApplicationConditionType is the type of an ApplicationCondition. Names ending
// in Error are errors, in Warning warnings.
type ApplicationConditionType string

// Application condition types.
const (
	ApplicationConditionDeletionError           ApplicationConditionType = "DeletionError"
	ApplicationConditionInvalidSpecError        ApplicationConditionType = "InvalidSpecError"
	ApplicationConditionComparisonError         ApplicationConditionType = "ComparisonError"
	ApplicationConditionSyncError               ApplicationConditionType = "SyncError"
	ApplicationConditionUnknownError            ApplicationConditionType = "UnknownError"
	ApplicationConditionSharedResourceWarning   ApplicationConditionType = "SharedResourceWarning"
	ApplicationConditionRepeatedResourceWarning ApplicationConditionType = "RepeatedResourceWarning"
	ApplicationConditionExcludedResourceWarning ApplicationConditionType = "ExcludedResourceWarning"
	ApplicationConditionOrphanedResourceWarning ApplicationConditionType = "OrphanedResourceWarning"
	ApplicationConditionOperationError          ApplicationConditionType = "OperationError"
	ApplicationConditionHydratorError           ApplicationConditionType = "HydratorError"
)

// ApplicationSourceType is the tool a source is rendered with.
type ApplicationSourceType string

// Source types.
const (
	ApplicationSourceTypeHelm      ApplicationSourceType = "Helm"
	ApplicationSourceTypeKustomize ApplicationSourceType = "Kustomize"
	ApplicationSourceTypeDirectory ApplicationSourceType = "Directory"
	ApplicationSourceTypePlugin    ApplicationSourceType = "Plugin"
)

// ResourcesHealthSource says where resource health is stored.
type ResourcesHealthSource string

// Resource health sources: in status.resources (the default), or only in the
// controller's resource tree.
const (
	ResourcesHealthSourceAppTree ResourcesHealthSource = "appTree"
)

// HydrateOperationPhase is the phase of a source hydration.
type HydrateOperationPhase string

// Hydration phases.
const (
	HydrateOperationPhaseHydrating HydrateOperationPhase = "Hydrating"
	HydrateOperationPhaseFailed    HydrateOperationPhase = "Failed"
	HydrateOperationPhaseHydrated  HydrateOperationPhase = "Hydrated"
)

// ApplicationsSyncPolicy values.
const (
	ApplicationsSyncPolicyCreateOnly   ApplicationsSyncPolicy = "create-only"
	ApplicationsSyncPolicyCreateUpdate ApplicationsSyncPolicy = "create-update"
	ApplicationsSyncPolicyCreateDelete ApplicationsSyncPolicy = "create-delete"
	ApplicationsSyncPolicySync         ApplicationsSyncPolicy = "sync"
)

// ApplicationSet condition types and statuses.
const (
	ApplicationSetConditionErrorOccurred       ApplicationSetConditionType = "ErrorOccurred"
	ApplicationSetConditionParametersGenerated ApplicationSetConditionType = "ParametersGenerated"
	ApplicationSetConditionResourcesUpToDate   ApplicationSetConditionType = "ResourcesUpToDate"
	ApplicationSetConditionRolloutProgressing  ApplicationSetConditionType = "RolloutProgressing"

	ApplicationSetConditionStatusTrue    ApplicationSetConditionStatus = "True"
	ApplicationSetConditionStatusFalse   ApplicationSetConditionStatus = "False"
	ApplicationSetConditionStatusUnknown ApplicationSetConditionStatus = "Unknown"
)

// ApplicationSet strategy types, deletion orders and per-Application rollout statuses.
const (
	ApplicationSetStrategyAllAtOnce    = "AllAtOnce"
	ApplicationSetStrategyRollingSync  = "RollingSync"
	ApplicationSetDeletionOrderReverse = "Reverse"

	ApplicationSetRolloutWaiting     = "Waiting"
	ApplicationSetRolloutPending     = "Pending"
	ApplicationSetRolloutProgressing = "Progressing"
	ApplicationSetRolloutHealthy     = "Healthy"
)

// SyncWindow kinds.
const (
	SyncWindowKindAllow = "allow"
	SyncWindowKindDeny  = "deny"
)

// Annotations and labels read or written on managed resources and on
// Applications. The argocd.argoproj.io keys are Argo CD's, kept so that
// existing manifests and tooling work unchanged.
const (
	// AnnotationTrackingID marks a live resource as belonging to an Application:
	// "<app>:<group>/<kind>:<namespace>/<name>".
	AnnotationTrackingID = "argocd.argoproj.io/tracking-id"
	// LabelAppInstance is the label-based tracking method's label.
	LabelAppInstance = "app.kubernetes.io/instance"

	AnnotationSyncWave         = "argocd.argoproj.io/sync-wave"
	AnnotationHook             = "argocd.argoproj.io/hook"
	AnnotationHookDeletePolicy = "argocd.argoproj.io/hook-delete-policy"
	AnnotationSyncOptions      = "argocd.argoproj.io/sync-options"
	AnnotationCompareOptions   = "argocd.argoproj.io/compare-options"
	// AnnotationRefresh on an Application requests a refresh: "normal" or "hard".
	AnnotationRefresh = "argocd.argoproj.io/refresh"
	// AnnotationManifestGeneratePaths limits which changed paths of a webhook
	// push trigger a refresh.
	AnnotationManifestGeneratePaths = "argocd.argoproj.io/manifest-generate-paths"
	// AnnotationSkipReconcile on an Application pauses its reconciliation.
	AnnotationSkipReconcile = "argocd.argoproj.io/skip-reconcile"
	// AnnotationApplicationSetRefresh on an ApplicationSet requests regeneration.
	AnnotationApplicationSetRefresh = "argocd.argoproj.io/application-set-refresh"

	// Helm's own hook annotations, mapped onto Argo CD hooks.
	AnnotationHelmHook             = "helm.sh/hook"
	AnnotationHelmHookWeight       = "helm.sh/hook-weight"
	AnnotationHelmHookDeletePolicy = "helm.sh/hook-delete-policy"

	// LabelSecretType marks Secrets that hold clusters, repositories or
	// repository credential templates.
	LabelSecretType = "argocd.argoproj.io/secret-type"
	// LabelManagedBy on a namespace names the control plane namespace that may
	// deploy to it.
	LabelManagedBy = "argocd.argoproj.io/managed-by"
	// LabelCapstanManaged marks objects created by capstan itself.
	LabelCapstanManaged = "capstan.dev/managed"
	// AnnotationCapstanApplied on an object capstan applied holds a digest
	// of what it applied, so that a restarted controller can tell an
	// object still as applied without a dry run. It is never drift.
	AnnotationCapstanApplied = "capstan.dev/applied"
)

// Values of LabelSecretType.
const (
	SecretTypeCluster    = "cluster"
	SecretTypeRepository = "repository"
	SecretTypeRepoCreds  = "repo-creds"
)

// Values of AnnotationRefresh.
const (
	RefreshTypeNormal = "normal"
	RefreshTypeHard   = "hard"
)

// Finalizers.
const (
	// ResourcesFinalizer on an Application deletes its resources in the
	// foreground before the Application goes; on an AppProject it keeps the
	// project until no Application uses it.
	ResourcesFinalizer = "resources-finalizer.argocd.argoproj.io"
	// BackgroundResourcesFinalizer deletes an Application's resources with
	// background propagation.
	BackgroundResourcesFinalizer = "resources-finalizer.argocd.argoproj.io/background"
	// ForegroundResourcesFinalizer is ResourcesFinalizer spelt out.
	ForegroundResourcesFinalizer = "resources-finalizer.argocd.argoproj.io/foreground"
	// PreDeleteFinalizer holds an Application until its PreDelete hooks ran.
	PreDeleteFinalizer = "pre-delete-finalizer.argocd.argoproj.io"
	// PostDeleteFinalizer holds an Application until its PostDelete hooks ran.
	PostDeleteFinalizer = "post-delete-finalizer.argocd.argoproj.io"
)
