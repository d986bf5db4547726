package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// sessionRequest is the body of POST /api/v1/session.
type sessionRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// prompter asks for what a flag left out; the password without echo when
// the input is a terminal.
type prompter struct {
	in  *bufio.Reader
	fd  int
	tty bool
	out io.Writer
}

func newPrompter(cmd *cobra.Command) *prompter {
	p := &prompter{in: bufio.NewReader(cmd.InOrStdin()), out: cmd.ErrOrStderr(), fd: -1}
	if f, ok := cmd.InOrStdin().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.fd, p.tty = int(f.Fd()), true
	}
	return p
}

func (p *prompter) ask(question string, secret bool) (string, error) {
	_, _ = fmt.Fprint(p.out, question)
	if secret && p.tty {
		b, err := term.ReadPassword(p.fd)
		_, _ = fmt.Fprintln(p.out)
		return string(b), err
	}
	line, err := p.in.ReadString('\n')
	if err != nil && (!errors.Is(err, io.EOF) || line == "") {
		return "", fmt.Errorf("read the answer: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func newLoginCommand() *cobra.Command {
	o := newClientOptions()
	var (
		username, password, name string
		sso                      bool
		ssoPort                  int
	)
	cmd := clientCommand(o, &cobra.Command{
		Use:   "login SERVER",
		Short: "Log in to a capstan server and make it the current context",
		Long: `Logs in with a local account's name and password (asked for when the flags
leave them out; the password is not echoed), or with --sso at the server's
OIDC provider in a browser, and records the session in the configuration
file, readable by its owner only. With --core no server is
involved: the context says to talk to Kubernetes with the kubeconfig.`,
		Args: cobra.RangeArgs(0, 1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, cfg, err := o.loadConfig()
			if err != nil {
				return err
			}
			if o.core {
				if name == "" {
					name = "kubernetes"
				}
				cfg.login(name, serverEntry{Server: "kubernetes", Core: true}, "")
				if err := writeConfig(path, cfg); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Context '%s' updated\n", name)
				return nil
			}
			if len(args) != 1 {
				return errors.New("name the server to log in to")
			}
			srv := serverEntry{Server: args[0], Insecure: o.insecure, PlainText: o.plaintext, GRPCWeb: o.grpcWeb}
			c, err := o.clientFor(endpoint{server: srv.Server, insecure: srv.Insecure, plaintext: srv.PlainText})
			if err != nil {
				return err
			}
			if name == "" {
				name = srv.Server
			}
			if sso {
				return o.loginSSO(cmd, c, path, cfg, name, srv, ssoPort)
			}
			p := newPrompter(cmd)
			if username == "" {
				if username, err = p.ask("Username: ", false); err != nil {
					return err
				}
			}
			if password == "" {
				if password, err = p.ask("Password: ", true); err != nil {
					return err
				}
			}
			token, err := c.login(cmd.Context(), username, password)
			if err != nil {
				return err
			}
			cfg.login(name, srv, token)
			if err := writeConfig(path, cfg); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "'%s' logged in successfully\nContext '%s' updated\n", username, name)
			return nil
		},
	})
	cmd.Flags().StringVar(&username, "username", "", "account name")
	cmd.Flags().StringVar(&password, "password", "", "password (asked for without echo when left out)")
	cmd.Flags().StringVar(&name, "name", "", "name of the context (default: the server)")
	cmd.Flags().BoolVar(&sso, "sso", false, "sign in at the server's OIDC provider, in a browser")
	cmd.Flags().IntVar(&ssoPort, "sso-port", defaultSSOPort, "port of 127.0.0.1 where --sso waits for the provider's answer (0: any free port)")
	return cmd
}

// login opens a session and returns its token.
func (c *apiClient) login(ctx context.Context, username, password string) (string, error) {
	var resp struct {
		Token string `json:"token"`
	}
	if err := c.do(ctx, http.MethodPost, "/api/v1/session", nil, sessionRequest{Username: username, Password: password}, &resp); err != nil {
		return "", err
	}
	if resp.Token == "" {
		return "", errors.New("the server answered the login without a token")
	}
	return resp.Token, nil
}

func newLogoutCommand() *cobra.Command {
	o := newClientOptions()
	return clientCommand(o, &cobra.Command{
		Use:   "logout [CONTEXT]",
		Short: "Forget the session of a context (the current one by default)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, cfg, err := o.loadConfig()
			if err != nil {
				return err
			}
			name := cfg.CurrentContext
			if len(args) == 1 {
				name = args[0]
			}
			_, srv, user, err := cfg.context(name)
			if err != nil {
				return err
			}
			if user.AuthToken != "" && !srv.Core {
				// Ask the server to end the session too; the local token
				// goes whatever it answers.
				if c, err := o.clientFor(endpoint{server: srv.Server, token: user.AuthToken, insecure: srv.Insecure, plaintext: srv.PlainText}); err == nil {
					_ = c.do(cmd.Context(), http.MethodDelete, "/api/v1/session", nil, nil, nil)
				}
			}
			if err := cfg.logout(name); err != nil {
				return err
			}
			if err := writeConfig(path, cfg); err != nil {
				return err
			}
			_, _ = fmt.Fprintf(cmd.OutOrStdout(), "Logged out from '%s'\n", name)
			return nil
		},
	})
}

func newContextCommand() *cobra.Command {
	o := newClientOptions()
	var del bool
	cmd := clientCommand(o, &cobra.Command{
		Use:     "context [NAME]",
		Aliases: []string{"ctx"},
		Short:   "List the contexts, or switch to one",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, cfg, err := o.loadConfig()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(args) == 0 {
				t := newTable(out, "CURRENT", "NAME", "SERVER")
				for _, c := range cfg.Contexts {
					cur := ""
					if c.Name == cfg.CurrentContext {
						cur = "*"
					}
					t.row(cur, c.Name, c.Server)
				}
				return t.flush()
			}
			if del {
				if err := cfg.remove(args[0]); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(out, "Context '%s' deleted\n", args[0])
			} else {
				if err := cfg.use(args[0]); err != nil {
					return err
				}
				_, _ = fmt.Fprintf(out, "Switched to context '%s'\n", args[0])
			}
			return writeConfig(path, cfg)
		},
	})
	cmd.Flags().BoolVar(&del, "delete", false, "delete the context instead of switching to it")
	return cmd
}
