package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/util/validation"
)

// execProviderConfig is the `execProviderConfig` of a cluster Secret's
// config, in Argo CD's JSON shape: a command that prints the credentials.
type execProviderConfig struct {
	Command     string            `json:"command,omitempty"`
	Args        []string          `json:"args,omitempty"`
	Env         map[string]string `json:"env,omitempty"`
	APIVersion  string            `json:"apiVersion,omitempty"`
	InstallHint string            `json:"installHint,omitempty"`
}

func (e *execProviderConfig) bindFlags(f *pflag.FlagSet) {
	f.StringVar(&e.Command, "exec-command", "", "command that prints the credentials of the cluster (an exec credential plugin); no ServiceAccount is created")
	f.StringArrayVar(&e.Args, "exec-command-args", nil, "an argument of --exec-command (repeatable)")
	f.StringToStringVar(&e.Env, "exec-command-env", nil, "environment KEY=VALUE of --exec-command")
	f.StringVar(&e.APIVersion, "exec-command-api-version", "", "API version of the ExecCredential --exec-command reads and prints")
	f.StringVar(&e.InstallHint, "exec-command-install-hint", "", "text shown when --exec-command is not installed")
}

func (e execProviderConfig) set() bool { return e.Command != "" }

// check refuses the details of an exec command without the command.
func (e execProviderConfig) check(cmd *cobra.Command) error {
	return needs(cmd, "exec-command", e.set(), "exec-command-args", "exec-command-env", "exec-command-api-version", "exec-command-install-hint")
}

// awsAuthConfig is the `awsAuthConfig` of a cluster Secret's config, in
// Argo CD's JSON shape: an EKS cluster reached with an AWS identity.
type awsAuthConfig struct {
	ClusterName string `json:"clusterName,omitempty"`
	RoleARN     string `json:"roleARN,omitempty"`
	Profile     string `json:"profile,omitempty"`
}

func (a *awsAuthConfig) bindFlags(f *pflag.FlagSet) {
	f.StringVar(&a.ClusterName, "aws-cluster-name", "", "name of the EKS cluster, reached with an AWS identity; no ServiceAccount is created")
	f.StringVar(&a.RoleARN, "aws-role-arn", "", "with --aws-cluster-name, the IAM role to assume")
	f.StringVar(&a.Profile, "aws-profile", "", "with --aws-cluster-name, the AWS profile to use")
}

func (a awsAuthConfig) set() bool { return a.ClusterName != "" }

func (a awsAuthConfig) check(cmd *cobra.Command) error {
	return needs(cmd, "aws-cluster-name", a.set(), "aws-role-arn", "aws-profile")
}

// needs refuses the flags details when the flag they complete is not set.
func needs(cmd *cobra.Command, flag string, set bool, details ...string) error {
	if set {
		return nil
	}
	for _, d := range details {
		if cmd.Flags().Changed(d) {
			return fmt.Errorf("--%s needs --%s", d, flag)
		}
	}
	return nil
}

// keyValues reads the KEY=VALUE pairs of a repeated --label or
// --annotation flag; a label must be a valid Kubernetes label.
func keyValues(flag string, pairs []string) (map[string]string, error) {
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if p == "" {
			continue // --label '' gives no label: cluster set clears them so
		}
		k, v, ok := strings.Cut(p, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("--%s %q: want KEY=VALUE", flag, p)
		}
		problems := validation.IsQualifiedName(k)
		if flag == "label" {
			problems = append(problems, validation.IsValidLabelValue(v)...)
		}
		if len(problems) > 0 {
			return nil, fmt.Errorf("--%s %q: %s", flag, p, strings.Join(problems, "; "))
		}
		out[k] = v
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}
