package server

import (
	"net/http"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/internal/settings"
)

// publicSettings is the part of Argo CD's Settings message that the login
// page needs, answered to anyone.
type publicSettings struct {
	URL                string      `json:"url"`
	DexConfig          *dexConfig  `json:"dexConfig,omitempty"`
	OIDCConfig         *oidcConfig `json:"oidcConfig,omitempty"`
	UserLoginsDisabled bool        `json:"userLoginsDisabled"`
	UIBannerContent    string      `json:"uiBannerContent,omitempty"`
	UIBannerURL        string      `json:"uiBannerURL,omitempty"`
	UIBannerPermanent  bool        `json:"uiBannerPermanent,omitempty"`
	UIBannerPosition   string      `json:"uiBannerPosition,omitempty"`
	UICSSURL           string      `json:"uiCssURL,omitempty"`
	PasswordPattern    string      `json:"passwordPattern,omitempty"`
	Help               helpConfig  `json:"help"`
}

// fullSettings adds what signed-in callers see.
type fullSettings struct {
	publicSettings
	AppLabelKey               string                      `json:"appLabelKey"`
	TrackingMethod            string                      `json:"trackingMethod"`
	ResourceOverrides         map[string]resourceOverride `json:"resourceOverrides,omitempty"`
	StatusBadgeEnabled        bool                        `json:"statusBadgeEnabled"`
	StatusBadgeRootURL        string                      `json:"statusBadgeRootUrl,omitempty"`
	KustomizeOptions          kustomizeOptions            `json:"kustomizeOptions"`
	ExecEnabled               bool                        `json:"execEnabled"`
	ControllerNamespace       string                      `json:"controllerNamespace"`
	InstallationID            string                      `json:"installationID,omitempty"`
	AppsInAnyNamespaceEnabled bool                        `json:"appsInAnyNamespaceEnabled"`
	ImpersonationEnabled      bool                        `json:"impersonationEnabled"`
	AdditionalURLs            []string                    `json:"additionalUrls,omitempty"`
}

type helpConfig struct {
	ChatURL  string `json:"chatUrl,omitempty"`
	ChatText string `json:"chatText,omitempty"`
}

type kustomizeOptions struct {
	BuildOptions string `json:"buildOptions,omitempty"`
}

// dexConfig names Dex's connectors; their configuration, which holds
// client secrets, is never answered.
type dexConfig struct {
	Connectors []dexConnector `json:"connectors"`
}

type dexConnector struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// oidcConfig is oidc.config without its client secret.
type oidcConfig struct {
	Name                     string         `json:"name"`
	Issuer                   string         `json:"issuer"`
	ClientID                 string         `json:"clientID"`
	CLIClientID              string         `json:"cliClientID,omitempty"`
	Scopes                   []string       `json:"scopes,omitempty"`
	IDTokenClaims            map[string]any `json:"idTokenClaims,omitempty"`
	EnablePKCEAuthentication bool           `json:"enablePKCEAuthentication,omitempty"`
}

// settingsRoutes serve GET /api/v1/settings: to anyone, what a login page
// needs; to a signed-in caller, the rest.
func (a *API) settingsRoutes() []route {
	return []route{{pattern: "GET /api/v1/settings", public: true, doc: "Get the settings a login page needs, and more for a signed-in caller", handle: func(w http.ResponseWriter, r *http.Request) {
		cm := a.settingsNow().Values(settings.ConfigMap)
		pub := publicFrom(cm)
		if !a.signedIn(r) {
			writeJSON(w, http.StatusOK, pub)
			return
		}
		st := a.settingsNow()
		writeJSON(w, http.StatusOK, fullSettings{
			publicSettings:       pub,
			AppLabelKey:          st.Tracking.Label(),
			TrackingMethod:       string(st.Tracking.Method),
			ResourceOverrides:    resourceOverrides(cm),
			StatusBadgeEnabled:   flag(cm["statusbadge.enabled"]),
			StatusBadgeRootURL:   cm["statusbadge.url"],
			KustomizeOptions:     kustomizeOptions{BuildOptions: cm["kustomize.buildOptions"]},
			ExecEnabled:          flag(cm["exec.enabled"]),
			ControllerNamespace:  a.Namespace,
			InstallationID:       cm["installationID"],
			ImpersonationEnabled: flag(cm["application.sync.impersonation.enabled"]),
			AdditionalURLs:       lines(cm["additionalUrls"]),
		})
	}}}
}

// publicFrom reads the public settings from argocd-cm's keys.
func publicFrom(cm map[string]string) publicSettings {
	return publicSettings{
		URL:                cm["url"],
		DexConfig:          dexFrom(cm["dex.config"]),
		OIDCConfig:         oidcFrom(cm["oidc.config"]),
		UserLoginsDisabled: cm["admin.enabled"] == "false" && !anyLoginAccount(cm),
		UIBannerContent:    cm["ui.bannercontent"],
		UIBannerURL:        cm["ui.bannerurl"],
		UIBannerPermanent:  flag(cm["ui.bannerpermanent"]),
		UIBannerPosition:   cm["ui.bannerposition"],
		UICSSURL:           cm["ui.cssurl"],
		PasswordPattern:    cm["passwordPattern"],
		Help:               helpConfig{ChatURL: cm["help.chatUrl"], ChatText: cm["help.chatText"]},
	}
}

// anyLoginAccount reports whether a local account other than admin may
// log in (accounts.<name> lists the login capability).
func anyLoginAccount(cm map[string]string) bool {
	for k, v := range cm {
		name, ok := strings.CutPrefix(k, "accounts.")
		if !ok || strings.Contains(name, ".") {
			continue
		}
		if strings.Contains(v, "login") && cm["accounts."+name+".enabled"] != "false" {
			return true
		}
	}
	return false
}

func dexFrom(raw string) *dexConfig {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	var cfg struct {
		Connectors []dexConnector `json:"connectors"`
	}
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
		return nil
	}
	return &dexConfig{Connectors: append([]dexConnector{}, cfg.Connectors...)}
}

func oidcFrom(raw string) *oidcConfig {
	if strings.TrimSpace(raw) == "" {
		return nil
	}
	var cfg struct {
		Name                     string         `json:"name"`
		Issuer                   string         `json:"issuer"`
		ClientID                 string         `json:"clientID"`
		CLIClientID              string         `json:"cliClientID"`
		RequestedScopes          []string       `json:"requestedScopes"`
		RequestedIDTokenClaims   map[string]any `json:"requestedIDTokenClaims"`
		EnablePKCEAuthentication bool           `json:"enablePKCEAuthentication"`
	}
	if err := yaml.Unmarshal([]byte(raw), &cfg); err != nil {
		return nil
	}
	return &oidcConfig{
		Name: cfg.Name, Issuer: cfg.Issuer, ClientID: cfg.ClientID, CLIClientID: cfg.CLIClientID,
		Scopes: cfg.RequestedScopes, IDTokenClaims: cfg.RequestedIDTokenClaims,
		EnablePKCEAuthentication: cfg.EnablePKCEAuthentication,
	}
}

func flag(s string) bool {
	b, _ := strconv.ParseBool(strings.TrimSpace(s))
	return b
}

// lines splits a YAML list or a newline- or comma-separated value.
func lines(s string) []string {
	var list []string
	if yaml.Unmarshal([]byte(s), &list) == nil && len(list) > 0 {
		return list
	}
	return splitList(strings.Split(s, "\n"))
}
