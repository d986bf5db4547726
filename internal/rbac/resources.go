package rbac

// The resources a permission names, as in Argo CD.
const (
	ResourceApplications      = "applications"
	ResourceApplicationSets   = "applicationsets"
	ResourceProjects          = "projects"
	ResourceRepositories      = "repositories"
	ResourceWriteRepositories = "write-repositories"
	ResourceClusters          = "clusters"
	ResourceAccounts          = "accounts"
	ResourceCertificates      = "certificates"
	ResourceGPGKeys           = "gpgkeys"
	ResourceLogs              = "logs"
	ResourceExec              = "exec"
	ResourceExtensions        = "extensions"
)

// The actions a permission names. An update or delete of one resource of
// an application is the action "update/<group>/<kind>/<namespace>/<name>"
// or "delete/...", and running a resource action is
// "action/<group>/<kind>/<action>": see SubresourceAction and
// ResourceAction.
const (
	ActionGet      = "get"
	ActionCreate   = "create"
	ActionUpdate   = "update"
	ActionDelete   = "delete"
	ActionSync     = "sync"
	ActionOverride = "override"
	ActionRollback = "rollback"
	ActionAction   = "action"
	ActionInvoke   = "invoke"
)

// SubresourceAction is the action of an update or a delete (verb) of one
// resource of an application: "update/apps/Deployment/default/web". The
// group of a core kind is empty, and the namespace of a cluster-scoped
// one: "delete//Namespace//team-a".
func SubresourceAction(verb, group, kind, namespace, name string) string {
	return verb + "/" + group + "/" + kind + "/" + namespace + "/" + name
}

// ResourceAction is the action of running a resource action (restart,
// resume...) on a resource of an application:
// "action/apps/Deployment/restart".
func ResourceAction(group, kind, action string) string {
	return ActionAction + "/" + group + "/" + kind + "/" + action
}

// ApplicationObject is the object of a permission on an application,
// applicationset, its logs or its exec: "<project>/<name>", or
// "<project>/<namespace>/<name>" for one outside the control-plane
// namespace (namespace empty for one inside it).
func ApplicationObject(project, namespace, name string) string {
	if namespace == "" {
		return project + "/" + name
	}
	return project + "/" + namespace + "/" + name
}
