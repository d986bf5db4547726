package rbac

import (
	"fmt"
	"slices"
	"strings"
)

// Resources are the resources a permission may name.
var Resources = []string{
	ResourceApplications, ResourceApplicationSets, ResourceProjects, ResourceRepositories, ResourceWriteRepositories,
	ResourceClusters, ResourceAccounts, ResourceCertificates, ResourceGPGKeys, ResourceLogs, ResourceExec, ResourceExtensions,
}

// Actions are the actions a permission may name; update, delete and
// action also come in sub-resource forms ("update/apps/Deployment/ns/web").
var Actions = []string{ActionGet, ActionCreate, ActionUpdate, ActionDelete, ActionSync, ActionOverride, ActionRollback, ActionAction, ActionInvoke}

// CheckQuestion fails, naming what it knows, for a resource or an action
// that no permission can name: asking whether one may take them would
// always be answered no, which hides a typo.
func CheckQuestion(resource, action string) error {
	if !slices.Contains(Resources, resource) {
		return fmt.Errorf("unknown resource %q: one of %s", resource, strings.Join(Resources, ", "))
	}
	verb, _, _ := strings.Cut(action, "/")
	if !slices.Contains(Actions, verb) {
		return fmt.Errorf("unknown action %q: one of %s", action, strings.Join(Actions, ", "))
	}
	return nil
}

// QuestionObject is the object a question names, as the API names the
// same object when it asks: "<project>/<namespace>/<name>" of an
// application (or applicationset, logs, exec) in the control-plane
// namespace is "<project>/<name>". Any other object, patterns included,
// is asked as written.
func QuestionObject(resource, object, controlPlane string) string {
	if !slices.Contains(projectResources, resource) {
		return object
	}
	parts := strings.Split(object, "/")
	if len(parts) == 3 && parts[1] == controlPlane {
		return parts[0] + "/" + parts[2]
	}
	return object
}
