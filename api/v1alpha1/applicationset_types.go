package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// ApplicationSet generates Applications from a template and a list of
// parameter sets produced by generators.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:path=applicationsets,shortName=appset;appsets,scope=Namespaced
type ApplicationSet struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`

	Spec ApplicationSetSpec `json:"spec"`

	// +optional
	Status ApplicationSetStatus `json:"status,omitempty,omitzero"`
}

// ApplicationSetList is a list of ApplicationSets.
//
// +kubebuilder:object:root=true
type ApplicationSetList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []ApplicationSet `json:"items"`
}

// ApplicationSetSpec is the desired state of an ApplicationSet.
type ApplicationSetSpec struct {
	// GoTemplate renders the template with Go text/template instead of
	// fasttemplate's {{param}} substitution.
	// +optional
	GoTemplate bool                      `json:"goTemplate,omitempty"`
	Generators []ApplicationSetGenerator `json:"generators"`
	Template   ApplicationSetTemplate    `json:"template"`
	// +optional
	SyncPolicy *ApplicationSetSyncPolicy `json:"syncPolicy,omitempty"`
	// +optional
	Strategy *ApplicationSetStrategy `json:"strategy,omitempty"`
	// PreservedFields are annotations and labels of generated Applications that
	// the controller leaves alone when it updates them.
	// +optional
	PreservedFields *ApplicationPreservedFields `json:"preservedFields,omitempty"`
	// GoTemplateOptions are text/template options, e.g. "missingkey=error".
	// +optional
	GoTemplateOptions []string `json:"goTemplateOptions,omitempty"`
	// ApplyNestedSelectors is deprecated in Argo CD, where nested selectors now
	// always apply; kept for compatibility.
	// +optional
	ApplyNestedSelectors bool `json:"applyNestedSelectors,omitempty"`
	// IgnoreApplicationDifferences are parts of generated Applications that
	// the controller does not overwrite.
	// +optional
	IgnoreApplicationDifferences ApplicationSetIgnoreDifferences `json:"ignoreApplicationDifferences,omitempty"`
	// TemplatePatch is a Go template producing a strategic merge patch applied
	// to each rendered Application; it needs GoTemplate.
	// +optional
	TemplatePatch *string `json:"templatePatch,omitempty"`
}

// ApplicationSetTemplate is the Application each parameter set is rendered into.
type ApplicationSetTemplate struct {
	ApplicationSetTemplateMeta `json:"metadata"`
	Spec                       ApplicationSpec `json:"spec"`
}

// ApplicationSetTemplateMeta is the subset of ObjectMeta a template may set.
type ApplicationSetTemplateMeta struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// +optional
	Labels map[string]string `json:"labels,omitempty"`
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
	// +optional
	Finalizers []string `json:"finalizers,omitempty"`
}

// ApplicationSetSyncPolicy says what the controller may do to the Applications
// it generated.
type ApplicationSetSyncPolicy struct {
	// PreserveResourcesOnDeletion keeps the deployed resources when a generated
	// Application is deleted.
	// +optional
	PreserveResourcesOnDeletion bool `json:"preserveResourcesOnDeletion,omitempty"`
	// +optional
	// +kubebuilder:validation:Enum=create-only;create-update;create-delete;sync
	ApplicationsSync *ApplicationsSyncPolicy `json:"applicationsSync,omitempty"`
}

// ApplicationsSyncPolicy is one of create-only, create-update, create-delete
// and sync (the default, which allows all three).
type ApplicationsSyncPolicy string

// ApplicationSetStrategy orders the updates of generated Applications.
type ApplicationSetStrategy struct {
	// Type is "AllAtOnce" (the default) or "RollingSync".
	// +optional
	Type string `json:"type,omitempty"`
	// +optional
	RollingSync *ApplicationSetRolloutStrategy `json:"rollingSync,omitempty"`
	// DeletionOrder is "AllAtOnce" or "Reverse" (reverse step order).
	// +optional
	DeletionOrder string `json:"deletionOrder,omitempty"`
}

// ApplicationSetRolloutStrategy is the ordered steps of a RollingSync.
type ApplicationSetRolloutStrategy struct {
	// +optional
	Steps []ApplicationSetRolloutStep `json:"steps,omitempty"`
}

// ApplicationSetRolloutStep selects Applications by label and bounds how many
// are synced at once.
type ApplicationSetRolloutStep struct {
	// +optional
	MatchExpressions []ApplicationMatchExpression `json:"matchExpressions,omitempty"`
	// MaxUpdate is a count or a percentage of the step's Applications.
	// +optional
	MaxUpdate *intstr.IntOrString `json:"maxUpdate,omitempty"`
}

// ApplicationMatchExpression is a label requirement, as in a label selector.
type ApplicationMatchExpression struct {
	// +optional
	Key string `json:"key,omitempty"`
	// +optional
	Operator string `json:"operator,omitempty"`
	// +optional
	Values []string `json:"values,omitempty"`
}

// ApplicationPreservedFields lists annotation and label keys to preserve.
type ApplicationPreservedFields struct {
	// +optional
	Annotations []string `json:"annotations,omitempty"`
	// +optional
	Labels []string `json:"labels,omitempty"`
}

// ApplicationSetIgnoreDifferences is a list of ApplicationSetResourceIgnoreDifferences.
type ApplicationSetIgnoreDifferences []ApplicationSetResourceIgnoreDifferences

// ApplicationSetResourceIgnoreDifferences selects fields of generated
// Applications (all, or the one named) that the controller leaves alone.
type ApplicationSetResourceIgnoreDifferences struct {
	// +optional
	Name string `json:"name,omitempty"`
	// +optional
	JSONPointers []string `json:"jsonPointers,omitempty"`
	// +optional
	JQPathExpressions []string `json:"jqPathExpressions,omitempty"`
}

// ApplicationSetStatus is the observed state of an ApplicationSet.
type ApplicationSetStatus struct {
	// +optional
	Conditions []ApplicationSetCondition `json:"conditions,omitempty"`
	// ApplicationStatus is the progressive-sync state of each generated Application.
	// +optional
	ApplicationStatus []ApplicationSetApplicationStatus `json:"applicationStatus,omitempty"`
	// Resources lists the generated Applications with their sync and health.
	// +optional
	Resources []ResourceStatus `json:"resources,omitempty"`
	// ResourcesCount is the number of generated Applications, which may exceed
	// len(Resources) when that list is truncated.
	// +optional
	ResourcesCount int64 `json:"resourcesCount,omitempty"`
}

// ApplicationSetCondition is a condition of an ApplicationSet.
type ApplicationSetCondition struct {
	Type    ApplicationSetConditionType `json:"type"`
	Message string                      `json:"message"`
	// +optional
	LastTransitionTime *metav1.Time                  `json:"lastTransitionTime,omitempty"`
	Status             ApplicationSetConditionStatus `json:"status"`
	// Reason is a CamelCase word, e.g. "ApplicationSetUpToDate".
	Reason string `json:"reason"`
}

// ApplicationSetConditionType is the type of an ApplicationSetCondition.
type ApplicationSetConditionType string

// ApplicationSetConditionStatus is True, False or Unknown.
type ApplicationSetConditionStatus string

// ApplicationSetApplicationStatus is the progressive-sync state of one
// generated Application.
type ApplicationSetApplicationStatus struct {
	Application string `json:"application"`
	// +optional
	LastTransitionTime *metav1.Time `json:"lastTransitionTime,omitempty"`
	Message            string       `json:"message"`
	// Status is Waiting, Pending, Progressing or Healthy.
	Status string `json:"status"`
	// Step is the 1-based RollingSync step the Application belongs to.
	Step string `json:"step"`
	// TargetRevisions are the revisions the Application is being synced to.
	TargetRevisions []string `json:"targetRevisions"`
}
