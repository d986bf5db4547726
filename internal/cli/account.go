package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// userInfo is GET /api/v1/session/userinfo.
type userInfo struct {
	LoggedIn bool     `json:"loggedIn"`
	Username string   `json:"username"`
	Issuer   string   `json:"iss"`
	Groups   []string `json:"groups"`
}

// account is an item of GET /api/v1/account.
type account struct {
	Name         string         `json:"name"`
	Enabled      bool           `json:"enabled"`
	Capabilities []string       `json:"capabilities"`
	Tokens       []accountToken `json:"tokens,omitempty"`
}

type accountToken struct {
	ID        string `json:"id"`
	IssuedAt  int64  `json:"issuedAt"`
	ExpiresAt int64  `json:"expiresAt,omitempty"`
}

func newAccountCommand() *cobra.Command {
	o := newClientOptions()
	cmd := clientCommand(o, &cobra.Command{Use: "account", Short: "Manage accounts: who you are, passwords, tokens, permissions"})
	cmd.AddCommand(
		&cobra.Command{
			Use:   "get-user-info",
			Short: "Show who the session is",
			Args:  cobra.NoArgs,
			RunE: o.runE(func(cmd *cobra.Command, c *apiClient, _ []string) error {
				info, err := c.userInfo(cmd.Context())
				if err != nil {
					return err
				}
				fields(cmd.OutOrStdout(), [2]string{"Logged In", fmt.Sprint(info.LoggedIn)}, [2]string{"Username", info.Username},
					[2]string{"Issuer", info.Issuer}, [2]string{"Groups", strings.Join(info.Groups, ",")})
				return nil
			}),
		},
		newAccountListCommand(o),
		newAccountCanICommand(o),
		newAccountUpdatePasswordCommand(o),
		newAccountGenerateTokenCommand(o),
	)
	return cmd
}

func (c *apiClient) userInfo(ctx context.Context) (userInfo, error) {
	var info userInfo
	err := c.do(ctx, http.MethodGet, "/api/v1/session/userinfo", nil, nil, &info)
	return info, err
}

func newAccountListCommand(o *clientOptions) *cobra.Command {
	return getCommand(o, &cobra.Command{Use: "list", Short: "List the local accounts", Args: cobra.NoArgs},
		fixedPath("/api/v1/account"), func(w io.Writer, format string, resp items[account]) error {
			if ok, err := printStructured(w, format, resp.Items); ok {
				return err
			}
			t := newTable(w, "NAME", "ENABLED", "CAPABILITIES")
			for _, a := range resp.Items {
				t.row(a.Name, fmt.Sprint(a.Enabled), strings.Join(a.Capabilities, ", "))
			}
			return t.flush()
		})
}

func newAccountCanICommand(o *clientOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "can-i ACTION RESOURCE SUBRESOURCE",
		Short: "Say yes or no: may the session take ACTION on RESOURCE's SUBRESOURCE",
		Example: `  # Any Application of project default; '*/*' for any Application at all
  # ('*' alone is not matched by the built-in roles' '*/*', as in Argo CD)
  capstan account can-i sync applications 'default/*'
  capstan account can-i create projects '*'`,
		Args: cobra.ExactArgs(3),
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, args []string) error {
			var resp struct {
				Value string `json:"value"`
			}
			path := "/api/v1/account/can-i/" + pathEscape(args[1]) + "/" + pathEscape(args[0]) + "/" + pathEscape(args[2])
			if err := c.do(cmd.Context(), http.MethodGet, path, nil, nil, &resp); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), resp.Value)
			return err
		}),
	}
}

// passwordRequest is the body of PUT /api/v1/account/password.
type passwordRequest struct {
	Name            string `json:"name,omitempty"`
	CurrentPassword string `json:"currentPassword"`
	NewPassword     string `json:"newPassword"`
}

func newAccountUpdatePasswordCommand(o *clientOptions) *cobra.Command {
	var req passwordRequest
	cmd := &cobra.Command{
		Use:   "update-password",
		Short: "Change the password of the session's account, or of --account",
		Long: `Changes a password; the passwords the flags leave out are asked for without
echo. The server ends the account's sessions: when it is the session's own
account, the CLI logs in again with the new password and keeps the new token.`,
		Args: cobra.NoArgs,
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			p := newPrompter(cmd)
			var err error
			if req.CurrentPassword == "" {
				if req.CurrentPassword, err = p.ask("*** Enter password of currently logged in user: ", true); err != nil {
					return err
				}
			}
			if req.NewPassword == "" {
				if req.NewPassword, err = p.ask("*** Enter new password: ", true); err != nil {
					return err
				}
				again, err := p.ask("*** Confirm new password: ", true)
				if err != nil {
					return err
				}
				if again != req.NewPassword {
					return errors.New("the passwords do not match")
				}
			}
			info, err := c.userInfo(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.do(cmd.Context(), http.MethodPut, "/api/v1/account/password", nil, req, nil); err != nil {
				return err
			}
			_, _ = fmt.Fprintln(cmd.OutOrStdout(), "Password updated")
			if req.Name == "" || req.Name == info.Username {
				return o.relogin(cmd.Context(), c, info.Username, req.NewPassword)
			}
			return nil
		}),
	}
	cmd.Flags().StringVar(&req.Name, "account", "", "the account whose password to change (default: the session's)")
	cmd.Flags().StringVar(&req.CurrentPassword, "current-password", "", "the password of the session's account")
	cmd.Flags().StringVar(&req.NewPassword, "new-password", "", "the new password")
	return cmd
}

// relogin opens a new session for the current context after its account's
// password changed, which ended the old one.
func (o *clientOptions) relogin(ctx context.Context, c *apiClient, username, password string) error {
	if o.authToken != "" || o.getenv("CAPSTAN_AUTH_TOKEN") != "" || o.core {
		return nil // not a session of the configuration file
	}
	path, cfg, err := o.loadConfig()
	if err != nil {
		return err
	}
	name, srv, _, err := cfg.context(o.context)
	if err != nil {
		return nil //nolint:nilerr // a session given by flags has no context to update
	}
	token, err := c.login(ctx, username, password)
	if err != nil {
		return fmt.Errorf("log in again with the new password: %w", err)
	}
	cfg.login(name.Name, srv, token)
	return writeConfig(path, cfg)
}

func newAccountGenerateTokenCommand(o *clientOptions) *cobra.Command {
	var (
		name      string
		id        string
		expiresIn time.Duration
	)
	cmd := &cobra.Command{
		Use:   "generate-token",
		Short: "Create an API token for the session's account, or for --account",
		Args:  cobra.NoArgs,
		RunE: o.runE(func(cmd *cobra.Command, c *apiClient, _ []string) error {
			if name == "" {
				info, err := c.userInfo(cmd.Context())
				if err != nil {
					return err
				}
				name = info.Username
			}
			body := map[string]any{"name": name, "expiresIn": int64(expiresIn.Seconds())}
			if id != "" {
				body["id"] = id
			}
			var resp struct {
				Token string `json:"token"`
			}
			if err := c.do(cmd.Context(), http.MethodPost, "/api/v1/account/"+pathEscape(name)+"/token", nil, body, &resp); err != nil {
				return err
			}
			_, err := fmt.Fprintln(cmd.OutOrStdout(), resp.Token)
			return err
		}),
	}
	cmd.Flags().StringVarP(&name, "account", "a", "", "the account (default: the session's)")
	cmd.Flags().StringVar(&id, "id", "", "the token's ID (default: a random one)")
	cmd.Flags().DurationVarP(&expiresIn, "expires-in", "e", 0, "how long the token is valid, such as 24h; 0 never expires")
	return cmd
}
