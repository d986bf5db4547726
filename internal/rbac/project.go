package rbac

import (
	"fmt"
	"slices"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// projectSubjectPrefix starts the subject of a project role:
// "proj:<project>:<role>".
const projectSubjectPrefix = "proj:"

// ProjectSubject is the subject of role of project.
func ProjectSubject(project, role string) string {
	return projectSubjectPrefix + project + ":" + role
}

// ParseProjectSubject splits "proj:<project>:<role>"; ok is false for
// any other subject.
func ParseProjectSubject(subject string) (project, role string, ok bool) {
	rest, found := strings.CutPrefix(subject, projectSubjectPrefix)
	if !found {
		return "", "", false
	}
	project, role, found = strings.Cut(rest, ":")
	if !found || project == "" || role == "" || strings.Contains(role, ":") {
		return "", "", false
	}
	return project, role, true
}

// projectResources are the resources a project role may be given: those
// whose objects live in a project.
var projectResources = []string{ResourceApplications, ResourceApplicationSets, ResourceRepositories, ResourceClusters, ResourceLogs, ResourceExec}

// ProjectOf is the project a request about object of resource concerns,
// whose roles' policies then apply: the first segment of
// "<project>/<name>" for applications, applicationsets, logs, exec and
// project-scoped repositories and clusters, the object itself for
// projects; "" for none.
func ProjectOf(resource, object string) string {
	switch {
	case resource == ResourceProjects:
		return object
	case slices.Contains(projectResources, resource):
		if project, _, ok := strings.Cut(object, "/"); ok {
			return project
		}
	}
	return ""
}

// RolePolicy is the policy that proj's roles add: each role's
// permissions, get on the project itself, and a grant of the role to each
// of its groups. A role may
// only give permissions to itself, on objects of its own project, of the
// resources that live in a project: a line that breaks this, or does not
// parse, is left out and returned among the errors, so that whoever may
// edit one AppProject cannot grant anything beyond it.
func RolePolicy(proj *v1alpha1.AppProject) (Policy, []error) {
	var out Policy
	var errs []error
	for _, role := range proj.Spec.Roles {
		subject := ProjectSubject(proj.Name, role.Name)
		for i, line := range role.Policies {
			source := fmt.Sprintf("AppProject %s role %s policy %d", proj.Name, role.Name, i)
			p, err := ParsePolicy(source, line)
			if err == nil {
				err = checkRoleLine(proj.Name, subject, p)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", source, err))
				continue
			}
			out.add(p)
		}
		// Every role may read its own project, as in Argo CD.
		out.Permissions = append(out.Permissions, Permission{subject, ResourceProjects, ActionGet, proj.Name, Allow})
		for _, group := range role.Groups {
			out.Grants = append(out.Grants, Grant{Member: group, Role: subject})
		}
	}
	return out, errs
}

// checkRoleLine checks the lines of one policy entry of a project role.
func checkRoleLine(project, subject string, p Policy) error {
	if len(p.Grants) > 0 {
		return fmt.Errorf("a project role's policy has p lines only")
	}
	for _, perm := range p.Permissions {
		switch {
		case perm.Subject != subject:
			return fmt.Errorf("subject %q is not the role's own, %s", perm.Subject, subject)
		case !slices.Contains(projectResources, perm.Resource):
			return fmt.Errorf("resource %q is not one of %s", perm.Resource, strings.Join(projectResources, ", "))
		case !strings.HasPrefix(perm.Object, project+"/"):
			return fmt.Errorf("object %q is not in project %s (want %s/...)", perm.Object, project, project)
		}
	}
	return nil
}
