package settings

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// honoured are the argocd-cm keys capstan reads; a trailing "*" stands
// for any suffix. docs/settings.md lists them with the keys it does not.
var honoured = []string{
	"timeout.reconciliation",
	"timeout.reconciliation.jitter",
	keyTrackingMethod, keyInstanceLabel, keyHardResync,
	keyExclusions, keyInclusions, keyCompareOptions, keyKustomizeBuild,
	KeyAllowFileRepositories,
	KeyWebhookRequireSignature,
	keyBlock,
	// Local accounts and sessions, read by internal/session.
	"users.session.duration", "passwordPattern", "admin.enabled", "accounts.*",
	"oidc.config", "url",
	prefixHealth + "*",
	prefixIgnore + "*",
	prefixActions + "*",
	prefixKnown + "*",
}

// documented are the argocd-cm keys Argo CD documents that capstan does
// not honour (yet). A key set in argocd-cm that is in neither list is
// not Argo CD's and is left alone.
var documented = []string{
	"url", "additionalUrls", "statusbadge.enabled", "statusbadge.url",
	"users.anonymous.enabled", "users.session.duration", "passwordPattern",
	"ga.trackingid", "ga.anonymizeusers", "help.chatUrl", "help.chatText", "help.download.*",
	"dex.config", "dex.storage", "oidc.config", "oidc.tls.insecure.skip.verify",
	"resource.customizations.ignoreResourceUpdates.*", "resource.customizations.useOpenLibs.*",
	"resource.ignoreResourceUpdatesEnabled", "resource.sensitive.mask.annotations", "resource.customLabels",
	"resource.includeEventLabelKeys", "resource.excludeEventLabelKeys",
	"resource.respectRBAC", "resource.links",
	"kustomize.enable", "jsonnet.enable", "helm.enable",
	"kustomize.buildOptions.*", "kustomize.path.*", "kustomize.version.*",
	"helm.valuesFileSchemes", "application.allowedNodeLabels",
	"installationID", "admin.enabled", "accounts.*",
	"ui.cssurl", "ui.bannercontent", "ui.bannerurl", "ui.bannerpermanent", "ui.bannerposition", "ui.loginButtonText",
	"webhook.refresh.jitter", "webhook.refresh.jitter.threshold", "webhook.maxPayloadSizeMB",
	"cluster.inClusterEnabled", "server.maxPodLogsToRender", "exec.enabled", "exec.shells",
	"project.links", "application.links", "extension.config", "extension.config.*",
	"application.sync.impersonation.enabled", "application.sync.impersonation.enforced",
	"application.sync.requireOverridePrivilegeForRevisionSync",
	"commit.author.name", "commit.author.email",
	"sourceHydrator.commitMessageTemplate", "sourceHydrator.readmeMessageTemplate",
	"repositories", "repository.credentials", "helm.repositories",
	"configManagementPlugins", "server.rbac.log.enforce.enable",
}

// honouredParams are the keys of argocd-cmd-params-cm that capstan's
// commands read at start as the defaults of their flags.
var honouredParams = []string{"controller.log.level", "controller.log.format", "server.log.level", "server.log.format"}

// matchKey reports whether key is one of patterns.
func matchKey(patterns []string, key string) bool {
	for _, p := range patterns {
		if p == key || strings.HasSuffix(p, "*") && strings.HasPrefix(key, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

// unsupported lists the keys of argocd-cm that Argo CD documents and
// capstan does not honour, and every key of argocd-cmd-params-cm (whose
// equivalents are capstan's flags) but controller.diff.server.side=true
// and honouredParams, that are set.
func unsupported(data Data) []string {
	var out []string
	for _, key := range slices.Sorted(maps.Keys(data[ConfigMap])) {
		if !matchKey(honoured, key) && matchKey(documented, key) && strings.TrimSpace(data[ConfigMap][key]) != "" {
			out = append(out, fmt.Sprintf("%s: %s", ConfigMap, key))
		}
	}
	for _, key := range slices.Sorted(maps.Keys(data[CmdParams])) {
		if key == keyServerSideDiff && serverSideDiff(data[CmdParams]) {
			continue // what capstan does anyway
		}
		if slices.Contains(honouredParams, key) {
			continue
		}
		out = append(out, fmt.Sprintf("%s: %s", CmdParams, key))
	}
	return out
}
