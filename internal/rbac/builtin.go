package rbac

// The built-in roles.
const (
	RoleAdmin    = "role:admin"
	RoleReadonly = "role:readonly"
)

// builtinLines are the built-in roles, always in force before
// argocd-rbac-cm's own lines: role:readonly reads everything but secrets'
// values; role:admin holds role:readonly and may change everything; the
// local account admin holds role:admin.
var builtinLines = []Permission{
	{RoleReadonly, ResourceApplications, ActionGet, "*/*", Allow},
	{RoleReadonly, ResourceApplicationSets, ActionGet, "*/*", Allow},
	{RoleReadonly, ResourceLogs, ActionGet, "*/*", Allow},
	{RoleReadonly, ResourceProjects, ActionGet, "*", Allow},
	{RoleReadonly, ResourceRepositories, ActionGet, "*", Allow},
	{RoleReadonly, ResourceWriteRepositories, ActionGet, "*", Allow},
	{RoleReadonly, ResourceClusters, ActionGet, "*", Allow},
	{RoleReadonly, ResourceAccounts, ActionGet, "*", Allow},
	{RoleReadonly, ResourceCertificates, ActionGet, "*", Allow},
	{RoleReadonly, ResourceGPGKeys, ActionGet, "*", Allow},

	{RoleAdmin, ResourceApplications, ActionCreate, "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionUpdate, "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionUpdate + "/*", "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionDelete, "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionDelete + "/*", "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionSync, "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionOverride, "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionRollback, "*/*", Allow},
	{RoleAdmin, ResourceApplications, ActionAction + "/*", "*/*", Allow},
	{RoleAdmin, ResourceApplicationSets, ActionCreate, "*/*", Allow},
	{RoleAdmin, ResourceApplicationSets, ActionUpdate, "*/*", Allow},
	{RoleAdmin, ResourceApplicationSets, ActionDelete, "*/*", Allow},
	{RoleAdmin, ResourceExec, ActionCreate, "*/*", Allow},
	{RoleAdmin, ResourceExtensions, ActionInvoke, "*", Allow},
	{RoleAdmin, ResourceAccounts, ActionUpdate, "*", Allow},
	{RoleAdmin, ResourceGPGKeys, ActionCreate, "*", Allow},
	{RoleAdmin, ResourceGPGKeys, ActionDelete, "*", Allow},
}

// builtinGrants make role:admin hold role:readonly and the local account
// admin hold role:admin.
var builtinGrants = []Grant{{RoleAdmin, RoleReadonly}, {"admin", RoleAdmin}}

// builtinResourcesChanged are the resources role:admin may create, update
// and delete, each object "*".
var builtinResourcesChanged = []string{ResourceProjects, ResourceRepositories, ResourceWriteRepositories, ResourceClusters, ResourceCertificates}

// Builtin is the built-in policy, its patterns written for mode.
func Builtin(mode string) Policy {
	var p Policy
	p.Permissions = append(p.Permissions, builtinLines...)
	for _, res := range builtinResourcesChanged {
		for _, act := range []string{ActionCreate, ActionUpdate, ActionDelete} {
			p.Permissions = append(p.Permissions, Permission{RoleAdmin, res, act, "*", Allow})
		}
	}
	p.Grants = append(p.Grants, builtinGrants...)
	if mode == MatchRegex {
		for i, perm := range p.Permissions {
			perm.Resource, perm.Action, perm.Object = globToRegex(perm.Resource), globToRegex(perm.Action), globToRegex(perm.Object)
			p.Permissions[i] = perm
		}
	}
	return p
}
