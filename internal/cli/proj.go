package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

const projectsPath = "/api/v1/projects"

// projectBody is the body of POST and PUT /api/v1/projects.
type projectBody struct {
	Project *v1alpha1.AppProject `json:"project"`
	Upsert  bool                 `json:"upsert,omitempty"`
}

func newProjCommand() *cobra.Command {
	o := newClientOptions()
	cmd := clientCommand(o, &cobra.Command{Use: "proj", Aliases: []string{"project", "projects"}, Short: "Manage AppProjects"})
	cmd.AddCommand(
		newProjListCommand(o),
		newProjGetCommand(o),
		newProjCreateCommand(o),
		newProjDeleteCommand(o),
		newProjEditCommand(o, "add-destination PROJECT SERVER NAMESPACE", "Allow a destination", 3, func(p *v1alpha1.AppProject, a []string) error {
			d := v1alpha1.ApplicationDestination{Server: a[1], Namespace: a[2]}
			if slices.Contains(p.Spec.Destinations, d) {
				return fmt.Errorf("destination %s %s is already allowed", a[1], a[2])
			}
			p.Spec.Destinations = append(p.Spec.Destinations, d)
			return nil
		}),
		newProjEditCommand(o, "remove-destination PROJECT SERVER NAMESPACE", "Stop allowing a destination", 3, func(p *v1alpha1.AppProject, a []string) error {
			d := v1alpha1.ApplicationDestination{Server: a[1], Namespace: a[2]}
			return removeFrom(&p.Spec.Destinations, d, "destination "+a[1]+" "+a[2])
		}),
		newProjEditCommand(o, "add-source PROJECT URL", "Allow a source repository", 2, func(p *v1alpha1.AppProject, a []string) error {
			if slices.Contains(p.Spec.SourceRepos, a[1]) {
				return fmt.Errorf("source %s is already allowed", a[1])
			}
			p.Spec.SourceRepos = append(p.Spec.SourceRepos, a[1])
			return nil
		}),
		newProjEditCommand(o, "remove-source PROJECT URL", "Stop allowing a source repository", 2, func(p *v1alpha1.AppProject, a []string) error {
			return removeFrom(&p.Spec.SourceRepos, a[1], "source "+a[1])
		}),
		newProjRoleCommand(o),
	)
	return cmd
}

// removeFrom removes v from s, or says that it is not there.
func removeFrom[T comparable](s *[]T, v T, what string) error {
	if !slices.Contains(*s, v) {
		return fmt.Errorf("%s is not in the project", what)
	}
	*s = slices.DeleteFunc(*s, func(x T) bool { return x == v })
	return nil
}

func (c *apiClient) getProject(ctx context.Context, name string) (*v1alpha1.AppProject, error) {
	var p v1alpha1.AppProject
	if err := c.do(ctx, http.MethodGet, projectsPath+"/"+pathEscape(name), nil, nil, &p); err != nil {
		return nil, err
	}
	return &p, nil
}

func (c *apiClient) updateProject(ctx context.Context, p *v1alpha1.AppProject) error {
	return c.do(ctx, http.MethodPut, projectsPath+"/"+pathEscape(p.Name), nil, projectBody{Project: p}, nil)
}

// newProjEditCommand is a command that reads a project, changes it with
// edit and writes it back.
func newProjEditCommand(o *clientOptions, use, short string, nargs int, edit func(*v1alpha1.AppProject, []string) error) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(nargs),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			return retryConflict(cmd.Context(), func() error {
				p, err := c.getProject(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				if err := edit(p, args); err != nil {
					return fmt.Errorf("project %s: %w", args[0], err)
				}
				return c.updateProject(cmd.Context(), p)
			})
		}),
	}
}

// countSummary is <none>, the one item, or "N what".
func countSummary(items []string, what string) string {
	switch len(items) {
	case 0:
		return "<none>"
	case 1:
		return items[0]
	}
	return fmt.Sprintf("%d %s", len(items), what)
}

func printProjects(w io.Writer, format string, projects []v1alpha1.AppProject) error {
	if ok, err := printStructured(w, format, projects); ok {
		return err
	}
	if format == outputName {
		for _, p := range projects {
			_, _ = fmt.Fprintln(w, p.Name)
		}
		return nil
	}
	t := newTable(w, "NAME", "DESCRIPTION", "DESTINATIONS", "SOURCES", "CLUSTER-RESOURCE-WHITELIST", "NAMESPACE-RESOURCE-BLACKLIST", "ORPHANED-RESOURCES")
	for _, p := range projects {
		var dests, whitelist, blacklist []string
		for _, d := range p.Spec.Destinations {
			dests = append(dests, destinationCluster(d)+","+d.Namespace)
		}
		for _, r := range p.Spec.ClusterResourceWhitelist {
			whitelist = append(whitelist, r.Group+"/"+r.Kind)
		}
		for _, r := range p.Spec.NamespaceResourceBlacklist {
			blacklist = append(blacklist, r.Group+"/"+r.Kind)
		}
		orphaned := "disabled"
		if p.Spec.OrphanedResources != nil {
			orphaned = "enabled"
		}
		t.row(p.Name, p.Spec.Description, countSummary(dests, "destinations"), countSummary(p.Spec.SourceRepos, "repos"),
			countSummary(whitelist, "resources"), countSummary(blacklist, "resources"), orphaned)
	}
	return t.flush()
}

func newProjListCommand(o *clientOptions) *cobra.Command {
	return getCommand(o, &cobra.Command{Use: "list", Short: "List AppProjects", Args: cobra.NoArgs},
		fixedPath(projectsPath), func(w io.Writer, format string, list v1alpha1.AppProjectList) error {
			return printProjects(w, format, list.Items)
		})
}

func newProjGetCommand(o *clientOptions) *cobra.Command {
	return getCommand(o, &cobra.Command{Use: "get PROJECT", Short: "Show an AppProject", Args: cobra.ExactArgs(1)},
		func(args []string) (string, url.Values) { return projectsPath + "/" + pathEscape(args[0]), nil },
		func(w io.Writer, format string, p v1alpha1.AppProject) error {
			if ok, err := printStructured(w, format, p); ok {
				return err
			}
			return printProjects(w, format, []v1alpha1.AppProject{p})
		})
}

func newProjCreateCommand(o *clientOptions) *cobra.Command {
	var (
		file        string
		description string
		dests       []string
		sources     []string
		upsert      bool
	)
	cmd := &cobra.Command{
		Use:   "create PROJECT",
		Short: "Create an AppProject from flags, or from a file with -f",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := newProject(args, file, description, dests, sources)
			if err != nil {
				return err
			}
			c, err := o.client(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.do(cmd.Context(), http.MethodPost, projectsPath, nil, projectBody{Project: p, Upsert: upsert}, nil); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "project '%s' created\n", p.Name)
			return nil
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "file with the AppProject")
	cmd.Flags().StringVar(&description, "description", "", "description")
	cmd.Flags().StringArrayVarP(&dests, "dest", "d", nil, "an allowed destination SERVER,NAMESPACE (repeatable)")
	cmd.Flags().StringArrayVarP(&sources, "src", "s", nil, "an allowed source repository (repeatable)")
	cmd.Flags().BoolVar(&upsert, "upsert", false, "replace a project of the same name")
	return cmd
}

// newProject is the AppProject `proj create` sends.
func newProject(args []string, file, description string, dests, sources []string) (*v1alpha1.AppProject, error) {
	p := &v1alpha1.AppProject{TypeMeta: metav1.TypeMeta{APIVersion: v1alpha1.GroupVersion.String(), Kind: "AppProject"}}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
		if err := yaml.UnmarshalStrict(data, p); err != nil {
			return nil, fmt.Errorf("read %s: %w", file, err)
		}
	}
	if len(args) == 1 {
		p.Name = args[0]
	}
	if p.Name == "" {
		return nil, fmt.Errorf("name the project, or give -f FILE")
	}
	if description != "" {
		p.Spec.Description = description
	}
	for _, d := range dests {
		server, ns, ok := strings.Cut(d, ",")
		if !ok {
			return nil, fmt.Errorf("destination %q: want SERVER,NAMESPACE", d)
		}
		p.Spec.Destinations = append(p.Spec.Destinations, v1alpha1.ApplicationDestination{Server: server, Namespace: ns})
	}
	p.Spec.SourceRepos = append(p.Spec.SourceRepos, sources...)
	return p, nil
}

func newProjDeleteCommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "delete PROJECT...",
		Short: "Delete AppProjects",
		Args:  cobra.MinimumNArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			for _, name := range args {
				if err := c.do(cmd.Context(), http.MethodDelete, projectsPath+"/"+pathEscape(name), url.Values{}, nil, nil); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "project '%s' deleted\n", name)
			}
			return nil
		}),
	}
}
