package cli

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// repository is a repository of the API, in Argo CD's JSON shape;
// the server never returns the secrets.
type repository struct {
	Repo                  string           `json:"repo"`
	Name                  string           `json:"name,omitempty"`
	Type                  string           `json:"type,omitempty"`
	Project               string           `json:"project,omitempty"`
	Username              string           `json:"username,omitempty"`
	Password              string           `json:"password,omitempty"`
	SSHPrivateKey         string           `json:"sshPrivateKey,omitempty"`
	Insecure              bool             `json:"insecure,omitempty"`
	InsecureIgnoreHostKey bool             `json:"insecureIgnoreHostKey,omitempty"`
	EnableOCI             bool             `json:"enableOCI,omitempty"`
	EnableLFS             bool             `json:"enableLfs,omitempty"`
	HasCredentials        bool             `json:"hasCredentials,omitempty"`
	ConnectionState       *connectionState `json:"connectionState,omitempty"`
}

// repoCreds is a credential template: url is a prefix.
type repoCreds struct {
	URL           string `json:"url"`
	Type          string `json:"type,omitempty"`
	Username      string `json:"username,omitempty"`
	Password      string `json:"password,omitempty"`
	SSHPrivateKey string `json:"sshPrivateKey,omitempty"`
	EnableOCI     bool   `json:"enableOCI,omitempty"`
}

type connectionState struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// credentialFlags are the credential flags of `repo add` and `repocreds
// add`.
type credentialFlags struct {
	username, password, sshKeyPath, typ string
	enableOCI                           bool
}

func (f *credentialFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.username, "username", "", "user name")
	fs.StringVar(&f.password, "password", "", "password or access token")
	fs.StringVar(&f.sshKeyPath, "ssh-private-key-path", "", "file with the SSH private key")
	fs.StringVar(&f.typ, "type", "git", "repository type: git, helm or oci")
	fs.BoolVar(&f.enableOCI, "enable-oci", false, "the Helm repository is an OCI registry")
}

// sshKey reads the private key file, when given.
func (f *credentialFlags) sshKey() (string, error) {
	if f.sshKeyPath == "" {
		return "", nil
	}
	data, err := os.ReadFile(f.sshKeyPath)
	if err != nil {
		return "", fmt.Errorf("read the SSH private key: %w", err)
	}
	return string(data), nil
}

func newRepoCommand() *cobra.Command {
	o := newClientOptions()
	cmd := clientCommand(o, &cobra.Command{Use: "repo", Short: "Manage repositories"})
	cmd.AddCommand(newRepoAddCommand(o), newRepoListCommand(o), newRepoGetCommand(o),
		newDeleteCommand(o, "rm REPO...", "Remove repositories", "/api/v1/repositories", "repository"))
	return cmd
}

func newRepoAddCommand(o *clientOptions) *cobra.Command {
	var (
		creds  credentialFlags
		repo   repository
		upsert bool
	)
	cmd := &cobra.Command{
		Use:   "add REPOURL",
		Short: "Add a repository, with its credentials",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := creds.sshKey()
			if err != nil {
				return err
			}
			repo.Repo, repo.Type, repo.EnableOCI = args[0], creds.typ, creds.enableOCI
			repo.Username, repo.Password, repo.SSHPrivateKey = creds.username, creds.password, key
			if err := o.create(cmd.Context(), "/api/v1/repositories", upsert, repo); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Repository '%s' added\n", args[0])
			return nil
		},
	}
	creds.bind(cmd.Flags())
	cmd.Flags().StringVar(&repo.Name, "name", "", "name of the repository (Helm repositories)")
	cmd.Flags().StringVar(&repo.Project, "project", "", "project the repository belongs to")
	cmd.Flags().BoolVar(&repo.Insecure, "insecure-skip-server-verification", false, "do not verify the server's TLS certificate or SSH host key")
	cmd.Flags().BoolVar(&repo.InsecureIgnoreHostKey, "insecure-ignore-host-key", false, "do not verify the SSH host key")
	cmd.Flags().BoolVar(&repo.EnableLFS, "enable-lfs", false, "fetch Git LFS objects")
	cmd.Flags().BoolVar(&upsert, "upsert", false, "replace a repository of the same URL")
	return cmd
}

func printRepos(w io.Writer, format string, repos []repository) error {
	if ok, err := printStructured(w, format, repos); ok {
		return err
	}
	t := newTable(w, "TYPE", "NAME", "REPO", "INSECURE", "OCI", "LFS", "CREDS", "STATUS", "MESSAGE", "PROJECT")
	for _, r := range repos {
		var status, msg string
		if r.ConnectionState != nil {
			status, msg = r.ConnectionState.Status, r.ConnectionState.Message
		}
		typ := r.Type
		if typ == "" {
			typ = "git"
		}
		t.row(typ, r.Name, r.Repo, fmt.Sprint(r.Insecure), fmt.Sprint(r.EnableOCI), fmt.Sprint(r.EnableLFS),
			fmt.Sprint(r.HasCredentials || r.Username != ""), status, msg, r.Project)
	}
	return t.flush()
}

func newRepoListCommand(o *clientOptions) *cobra.Command {
	var refresh string
	cmd := getCommand(o, &cobra.Command{Use: "list", Short: "List repositories", Args: cobra.NoArgs},
		func([]string) (string, url.Values) {
			q := url.Values{}
			if refresh == "hard" {
				q.Set("forceRefresh", "true")
			}
			return "/api/v1/repositories", q
		},
		func(w io.Writer, format string, resp items[repository]) error {
			return printRepos(w, format, resp.Items)
		})
	cmd.Flags().StringVar(&refresh, "refresh", "", "hard: check the connection to each repository now")
	return cmd
}

func newRepoGetCommand(o *clientOptions) *cobra.Command {
	return getCommand(o, &cobra.Command{Use: "get REPO", Short: "Show a repository", Args: cobra.ExactArgs(1)},
		func(args []string) (string, url.Values) { return "/api/v1/repositories/" + pathEscape(args[0]), nil },
		func(w io.Writer, format string, r repository) error {
			if ok, err := printStructured(w, format, r); ok {
				return err
			}
			return printRepos(w, format, []repository{r})
		})
}

// newDeleteCommand deletes objects of a collection by key, one request
// each.
func newDeleteCommand(o *clientOptions, use, short, collection, what string) *cobra.Command {
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.MinimumNArgs(1),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			for _, key := range args {
				if err := c.do(cmd.Context(), http.MethodDelete, collection+"/"+pathEscape(key), nil, nil, nil); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "%s '%s' removed\n", what, key)
			}
			return nil
		}),
	}
}

func newRepoCredsCommand() *cobra.Command {
	o := newClientOptions()
	cmd := clientCommand(o, &cobra.Command{Use: "repocreds", Short: "Manage credential templates: credentials for every repository under a URL prefix"})
	var (
		creds  credentialFlags
		upsert bool
	)
	add := &cobra.Command{
		Use:   "add REPOURL",
		Short: "Add a credential template",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			key, err := creds.sshKey()
			if err != nil {
				return err
			}
			body := repoCreds{URL: args[0], Type: creds.typ, Username: creds.username, Password: creds.password, SSHPrivateKey: key, EnableOCI: creds.enableOCI}
			if err := o.create(cmd.Context(), "/api/v1/repocreds", upsert, body); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Repository credentials for '%s' added\n", args[0])
			return nil
		},
	}
	creds.bind(add.Flags())
	add.Flags().BoolVar(&upsert, "upsert", false, "replace a template of the same URL")
	list := getCommand(o, &cobra.Command{Use: "list", Short: "List credential templates", Args: cobra.NoArgs},
		fixedPath("/api/v1/repocreds"), func(w io.Writer, format string, resp items[repoCreds]) error {
			if ok, err := printStructured(w, format, resp.Items); ok {
				return err
			}
			t := newTable(w, "URL PATTERN", "USERNAME", "TYPE")
			for _, r := range resp.Items {
				t.row(r.URL, r.Username, r.Type)
			}
			return t.flush()
		})
	cmd.AddCommand(add, list, newDeleteCommand(o, "rm CREDSURL...", "Remove credential templates", "/api/v1/repocreds", "Repository credentials"))
	return cmd
}
