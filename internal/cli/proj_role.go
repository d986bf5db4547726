package cli

import (
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func newProjRoleCommand(o *clientOptions) *cobra.Command {
	cmd := &cobra.Command{Use: "role", Short: "Manage a project's roles: policies, groups and tokens"}
	var description string
	create := newProjEditCommand(o, "create PROJECT ROLE", "Create a role", 2, func(p *v1alpha1.AppProject, a []string) error {
		if roleIndex(p, a[1]) >= 0 {
			return fmt.Errorf("role %s already exists", a[1])
		}
		p.Spec.Roles = append(p.Spec.Roles, v1alpha1.ProjectRole{Name: a[1], Description: description})
		return nil
	})
	create.Flags().StringVar(&description, "description", "", "description of the role")
	var pol policyFlags
	addPolicy := newProjEditCommand(o, "add-policy PROJECT ROLE", "Let a role take an action on the project's Applications", 2, func(p *v1alpha1.AppProject, a []string) error {
		return editRole(p, a[1], func(r *v1alpha1.ProjectRole) error {
			line := pol.line(a[0], a[1])
			if slices.Contains(r.Policies, line) {
				return fmt.Errorf("policy %q already exists", line)
			}
			r.Policies = append(r.Policies, line)
			return nil
		})
	})
	pol.bind(addPolicy)
	var rmPol policyFlags
	removePolicy := newProjEditCommand(o, "remove-policy PROJECT ROLE", "Remove a policy of a role", 2, func(p *v1alpha1.AppProject, a []string) error {
		return editRole(p, a[1], func(r *v1alpha1.ProjectRole) error {
			return removeFrom(&r.Policies, rmPol.line(a[0], a[1]), "policy")
		})
	})
	rmPol.bind(removePolicy)
	cmd.AddCommand(
		create,
		newProjEditCommand(o, "delete PROJECT ROLE", "Delete a role", 2, func(p *v1alpha1.AppProject, a []string) error {
			i := roleIndex(p, a[1])
			if i < 0 {
				return fmt.Errorf("role %s not found", a[1])
			}
			p.Spec.Roles = slices.Delete(p.Spec.Roles, i, i+1)
			return nil
		}),
		addPolicy,
		removePolicy,
		newProjEditCommand(o, "add-group PROJECT ROLE GROUP", "Bind an SSO group to a role", 3, func(p *v1alpha1.AppProject, a []string) error {
			return editRole(p, a[1], func(r *v1alpha1.ProjectRole) error {
				if !slices.Contains(r.Groups, a[2]) {
					r.Groups = append(r.Groups, a[2])
				}
				return nil
			})
		}),
		newProjEditCommand(o, "remove-group PROJECT ROLE GROUP", "Unbind an SSO group from a role", 3, func(p *v1alpha1.AppProject, a []string) error {
			return editRole(p, a[1], func(r *v1alpha1.ProjectRole) error { return removeFrom(&r.Groups, a[2], "group "+a[2]) })
		}),
		newProjRoleListCommand(o),
		newProjRoleCreateTokenCommand(o),
		newProjRoleDeleteTokenCommand(o),
	)
	return cmd
}

func roleIndex(p *v1alpha1.AppProject, name string) int {
	return slices.IndexFunc(p.Spec.Roles, func(r v1alpha1.ProjectRole) bool { return r.Name == name })
}

func editRole(p *v1alpha1.AppProject, name string, edit func(*v1alpha1.ProjectRole) error) error {
	i := roleIndex(p, name)
	if i < 0 {
		return fmt.Errorf("role %s not found", name)
	}
	return edit(&p.Spec.Roles[i])
}

// policyFlags write a policy line of a project role.
type policyFlags struct {
	action, object, permission string
}

func (f *policyFlags) bind(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&f.action, "action", "a", "", "action, such as get, sync or update")
	cmd.Flags().StringVarP(&f.object, "object", "o", "*", "Application name or glob within the project")
	cmd.Flags().StringVarP(&f.permission, "permission", "p", "allow", "allow or deny")
	_ = cmd.MarkFlagRequired("action")
}

// line is the policy as Argo CD writes it in spec.roles[].policies.
func (f policyFlags) line(project, role string) string {
	return fmt.Sprintf("p, proj:%s:%s, applications, %s, %s/%s, %s", project, role, f.action, project, f.object, f.permission)
}

func newProjRoleListCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "list PROJECT",
		Short: "List a project's roles",
		Args:  cobra.ExactArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			p, err := c.getProject(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			t := newTable(cmd.OutOrStdout(), "ROLE-NAME", "DESCRIPTION", "POLICIES", "TOKENS")
			for _, r := range p.Spec.Roles {
				t.row(r.Name, r.Description, fmt.Sprint(len(r.Policies)), fmt.Sprint(len(r.JWTTokens)))
			}
			return t.flush()
		}),
	}
}

func newProjRoleCreateTokenCommand(o *clientOptions) *cobra.Command {
	var (
		expiresIn time.Duration
		id        string
	)
	cmd := &cobra.Command{
		Use:   "create-token PROJECT ROLE",
		Short: "Create a token of a project role and print it",
		Args:  cobra.ExactArgs(2),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			body := map[string]any{"project": args[0], "role": args[1], "expiresIn": int64(expiresIn.Seconds())}
			if id != "" {
				body["id"] = id
			}
			var resp struct {
				Token string `json:"token"`
			}
			path := projectsPath + "/" + pathEscape(args[0]) + "/roles/" + pathEscape(args[1]) + "/token"
			if err := c.do(cmd.Context(), http.MethodPost, path, nil, body, &resp); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), resp.Token)
			return err
		}),
	}
	cmd.Flags().DurationVarP(&expiresIn, "expires-in", "e", 0, "how long the token is valid, such as 24h; 0 never expires")
	cmd.Flags().StringVarP(&id, "id", "i", "", "the token's ID")
	return cmd
}

func newProjRoleDeleteTokenCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete-token PROJECT ROLE ISSUED-AT",
		Short: "Revoke a token of a project role, named by its issue time (seconds)",
		Args:  cobra.ExactArgs(3),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			path := projectsPath + "/" + pathEscape(args[0]) + "/roles/" + pathEscape(args[1]) + "/token/" + pathEscape(args[2])
			return c.do(cmd.Context(), http.MethodDelete, path, nil, nil, nil)
		}),
	}
}
