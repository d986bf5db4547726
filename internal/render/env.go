package render

import (
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
		"ARGOCD_APP_SOURCE_REPO_URL":        req.Source.RepoURL,
		"ARGOCD_APP_SOURCE_PATH":            req.Source.Path,
		"ARGOCD_APP_SOURCE_TARGET_REVISION": req.Source.TargetRevision,
		"KUBE_VERSION":                      req.KubeVersion,
		"KUBE_API_VERSIONS":                 strings.Join(req.APIVersions, ","),
	}
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
