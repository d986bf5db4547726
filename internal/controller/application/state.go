package application

import (
	"fmt"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/health"
	"github.com/capstan-cd/capstan/internal/settings"

	"github.com/capstan-cd/capstan/internal/tracking"
)

// state is what one reconcile learns, step by step.
type state struct {
	app *v1alpha1.Application
	now time.Time

	// saved is the Application as the API server last returned it to this
	// pass: read, or written by a checkpoint (see persist); replaced are
	// the versions the checkpoints replaced.
	saved    *v1alpha1.Application
	replaced []string
	// operation is the running operation, as far as this pass took it.
	operation *v1alpha1.OperationState
	// persistErr is a checkpoint that failed: the pass ends without
	// another write and is retried with backoff.
	persistErr error

	// refresh is the refresh the Application requested for this pass
	// ("normal" or "hard"), "" for none.
	refresh string

	target     *target
	project    *v1alpha1.AppProject
	revisions  []string
	sourceType []v1alpha1.ApplicationSourceType
	desired    []*unstructured.Unstructured
	// renderedWith is what the destination's discovery knew when the
	// sources were last rendered (apply.Applier.Discovery).
	renderedWith string

	// resources are the compared objects: desired ones and extraneous
	// live ones, keyed like the status.
	resources []*resource
	synced    bool
	// persisted holds, by group, kind, namespace and name, the
	// OwnedFields of the status the pass began with (persistedOwned).
	persisted map[string]string
	// unknownKinds is true when the comparison met objects of kinds the
	// destination does not know.
	unknownKinds bool
	// waiting, when set, is what the running operation waits for before
	// a task of the step it ran can be done.
	waiting string
	// revisionMoved is true when the running operation's revision is no
	// longer the one its sources resolve to.
	revisionMoved bool
	// operationDone is true when a requested operation has run and the
	// operation field is to be cleared.
	operationDone bool
	// leftover is true when the operation field holds a request that has
	// run and only awaits its clearing (see finished).
	leftover bool

	// settings is the snapshot of the installation's settings this pass
	// runs under, and assess the health of an object under them.
	settings *settings.Settings
	assess   func(*unstructured.Unstructured) (*health.Status, error)
	// policy is how objects are tracked under those settings.
	policy tracking.Policy

	// ignorer holds the ignoreDifferences rules the comparison ran
	// under, for RespectIgnoreDifferences.
	ignorer *diff.Ignorer

	// compareKey is what, besides an object, a comparison depends on (the
	// ignoreDifferences rules, the tracking method).
	compareKey string

	// namespaces records what this pass learned of namespaces' existence.
	namespaces map[string]bool
	// watchWaitUntil ends what this pass may wait, all objects together,
	// for the watch to bring objects capstan saw newer (awaitWatch).
	watchWaitUntil time.Time

	// applied is the health of the objects this pass's sync wrote, as the
	// writes returned them, by result key.
	applied map[string]*health.Status

	conditions []v1alpha1.ApplicationCondition
	// stop ends the pipeline without an error (nothing more to do).
	stop bool
	// failedStep is the step that failed, if any; later steps did not run
	// and the status keeps what it knew.
	failedStep   string
	requeueAfter time.Duration
}

// requeueWithin makes the pass come back after d at the latest.
func (st *state) requeueWithin(d time.Duration) {
	if st.requeueAfter == 0 || d < st.requeueAfter {
		st.requeueAfter = d
	}
}

// resource is one object of the comparison.
type resource struct {
	desired    *unstructured.Unstructured // nil for extraneous objects
	live       *unstructured.Unstructured // nil when missing
	modified   bool
	extraneous bool
	// deleting: an extraneous object already on its way out, deleted by
	// a sync (or by anyone: it carries a deletion timestamp).
	deleting bool
	// shared is true when the live object belongs to another Application.
	shared bool
	health *health.Status
	// hash identifies the desired object and the comparison's settings,
	// as its verdict does (desiredHash); "" when it was not compared.
	hash string
}

// fail records a step's error as a condition of the matching type.
func (st *state) fail(step string, err error) {
	st.failedStep = step
	kind := v1alpha1.ApplicationConditionComparisonError
	switch step {
	case "destination", "project":
		kind = v1alpha1.ApplicationConditionInvalidSpecError
	case "sync":
		kind = v1alpha1.ApplicationConditionSyncError
	}
	st.condition(kind, err.Error())
}

func (st *state) condition(kind v1alpha1.ApplicationConditionType, msg string) {
	now := metav1.NewTime(st.now)
	st.conditions = append(st.conditions, v1alpha1.ApplicationCondition{Type: kind, Message: msg, LastTransitionTime: &now})
}

func (st *state) sharedWarning(obj *unstructured.Unstructured) {
	st.condition(v1alpha1.ApplicationConditionSharedResourceWarning,
		fmt.Sprintf("%s is also managed by another application; %s leaves it alone", tracking.Describe(obj), st.app.Name))
}

// hasOption reports whether a comma-separated option list holds option.
func hasOption(list, option string) bool {
	for _, o := range strings.Split(list, ",") {
		if strings.TrimSpace(o) == option {
			return true
		}
	}
	return false
}
