package render

import (
	"net/url"
	"os"
	"strings"
)

// buildEnv is the build environment: the variables that Jsonnet's
// external variables and top-level arguments, and Kustomize's common
// annotations when asked, may name as $VAR or ${VAR}, as in Argo CD.
func buildEnv(req Request) map[string]string {
	return map[string]string{
		"ARGOCD_APP_NAME":                   req.AppName,
		"ARGOCD_APP_NAMESPACE":              req.Namespace,
		"ARGOCD_APP_PROJECT_NAME":           req.Project,
		"ARGOCD_APP_REVISION":               req.Revision,
		"ARGOCD_APP_REVISION_SHORT":         shortRevision(req.Revision, 7),
		"ARGOCD_APP_REVISION_SHORT_8":       shortRevision(req.Revision, 8),
		"ARGOCD_APP_SOURCE_REPO_URL":        withoutUserinfo(req.Source.RepoURL),
		"ARGOCD_APP_SOURCE_PATH":            req.Source.Path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": req.Source.TargetRevision,
		"KUBE_VERSION":                      req.KubeVersion,
		"KUBE_API_VERSIONS":                 strings.Join(req.APIVersions, ","),
	}
}

// withoutUserinfo is a repository URL without the credentials written into
// it: what the build environment hands to a tool, and so to the objects it
// renders, names the repository but holds no secret. Over HTTP(S) a user
// name alone may be a token, and goes too; an SSH URL keeps its user (git@),
// which is no secret.
func withoutUserinfo(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw
	}
	if u.Scheme == "ssh" {
		u.User = url.User(u.User.Username())
	} else {
		u.User = nil
	}
	return u.String()
}

func shortRevision(rev string, n int) string {
	if len(rev) > n {
		return rev[:n]
	}
	return rev
}

// envsubst replaces $VAR and ${VAR} with their values in env, unknown
// ones with nothing; $$ stands for a literal $.
func envsubst(s string, env map[string]string) string {
	return os.Expand(s, func(name string) string {
		if name == "$" {
			return "$"
		}
		return env[name]
	})
}
