package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestResourceOverrides(t *testing.T) {
	tests := []struct {
		name string
		cm   map[string]string
		want map[string]resourceOverride
	}{{
		name: "none",
		cm:   map[string]string{"url": "https://cd.example"},
	}, {
		name: "per-kind keys, core group without a group part",
		cm: map[string]string{
			"resource.customizations.health.argoproj.io_Rollout":        "hs = {}",
			"resource.customizations.ignoreDifferences.apps_Deployment": "jsonPointers: [/spec/replicas]",
			"resource.customizations.knownTypeFields.Pod":               "- field: spec",
		},
		want: map[string]resourceOverride{
			"argoproj.io/Rollout": {HealthLua: "hs = {}"},
			"apps/Deployment":     {IgnoreDifferences: "jsonPointers: [/spec/replicas]"},
			"Pod":                 {KnownTypeFields: "- field: spec"},
		},
	}, {
		name: "the block, and a per-kind key over it",
		cm: map[string]string{
			"resource.customizations":                        "apps/Deployment:\n  health.lua: old\n  actions: acts\n",
			"resource.customizations.health.apps_Deployment": "new",
		},
		want: map[string]resourceOverride{"apps/Deployment": {HealthLua: "new", Actions: "acts"}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, resourceOverrides(tc.cm)); d != "" {
				t.Errorf("resourceOverrides (-want +got):\n%s", d)
			}
		})
	}
}

func TestPublicSettings(t *testing.T) {
	tests := []struct {
		name string
		cm   map[string]string
		want publicSettings
	}{{
		name: "the OIDC client secret is never shown",
		cm: map[string]string{
			"url":         "https://cd.example",
			"oidc.config": "name: Okta\nissuer: https://idp.example\nclientID: capstan\nclientSecret: $oidc.okta.clientSecret\nrequestedScopes: [openid, groups]\n",
		},
		want: publicSettings{URL: "https://cd.example", OIDCConfig: &oidcConfig{Name: "Okta", Issuer: "https://idp.example", ClientID: "capstan", Scopes: []string{"openid", "groups"}}},
	}, {
		name: "Dex connectors by name and type only",
		cm:   map[string]string{"dex.config": "connectors:\n- type: github\n  name: GitHub\n  config:\n    clientSecret: s3cret\n"},
		want: publicSettings{DexConfig: &dexConfig{Connectors: []dexConnector{{Name: "GitHub", Type: "github"}}}},
	}, {
		name: "logins are disabled when admin is and no account may log in",
		cm:   map[string]string{"admin.enabled": "false", "accounts.ci": "apiKey"},
		want: publicSettings{UserLoginsDisabled: true},
	}, {
		name: "an account with login keeps logins on",
		cm:   map[string]string{"admin.enabled": "false", "accounts.alice": "login"},
		want: publicSettings{},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if d := cmp.Diff(tc.want, publicFrom(tc.cm)); d != "" {
				t.Errorf("publicFrom (-want +got):\n%s", d)
			}
		})
	}
}

// TestSettingsAndVersionEndpoints reads /api/v1/settings and /api/version
// from a real argocd-cm: anyone gets what a login page needs, never a
// client secret; only a signed-in caller gets the rest and the build
// details.
func TestSettingsAndVersionEndpoints(t *testing.T) {
	e := newResEnv(t)
	e.withSettings(t, map[string]string{
		"url":                          "https://cd.example",
		"oidc.config":                  "name: Okta\nissuer: https://idp.example\nclientID: capstan\nclientSecret: do-not-show-me\n",
		"application.instanceLabelKey": "argocd.argoproj.io/instance",
		"statusbadge.enabled":          "true",
	})
	code, anon := e.do(t, "", "GET", "/api/v1/settings", nil)
	if code != http.StatusOK {
		t.Fatalf("settings: %d %s", code, anon)
	}
	_, full := e.do(t, "admin", "GET", "/api/v1/settings", nil)
	for _, body := range []string{string(anon), string(full)} {
		if strings.Contains(body, "do-not-show-me") {
			t.Fatalf("settings show the OIDC client secret: %s", body)
		}
		if !strings.Contains(body, `"issuer":"https://idp.example"`) {
			t.Errorf("settings lack the OIDC issuer: %s", body)
		}
	}
	if strings.Contains(string(anon), "appLabelKey") {
		t.Errorf("an anonymous caller sees the full settings: %s", anon)
	}
	for _, want := range []string{`"appLabelKey":"argocd.argoproj.io/instance"`, `"statusBadgeEnabled":true`} {
		if !strings.Contains(string(full), want) {
			t.Errorf("signed-in settings lack %s: %s", want, full)
		}
	}
	_, anonVersion := e.do(t, "", "GET", "/api/version", nil)
	_, fullVersion := e.do(t, "admin", "GET", "/api/version", nil)
	if strings.Contains(string(anonVersion), "GoVersion") || !strings.Contains(string(anonVersion), `"Version"`) {
		t.Errorf("anonymous version = %s, want the version only", anonVersion)
	}
	if !strings.Contains(string(fullVersion), "GoVersion") || !strings.Contains(string(fullVersion), "GitCommit") {
		t.Errorf("signed-in version = %s, want the build details", fullVersion)
	}
}
