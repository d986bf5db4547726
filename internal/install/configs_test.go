package install

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// TestConfigsBecomeSettings renders configs.* as an argo-cd values file
// would set them and checks the settings objects capstan reads: name,
// labels and data.
func TestConfigsBecomeSettings(t *testing.T) {
	values := map[string]any{}
	if err := yaml.Unmarshal([]byte(`
configs:
  cm:
    timeout.reconciliation: 60s
    resource.customizations.health.example.com_Thing: |
      hs = {}
      return hs
  params:
    create: true
    controller.status.processors: 20
  rbac:
    policy.csv: "g, admins, role:admin"
  secret:
    githubSecret: gh-secret
    gogsSecret: gogs-secret
    extra:
      server.secretkey: key
  repositories:
    private-repo:
      url: https://git.example.com/team/apps.git
      username: bot
      password: pass
  credentialTemplates:
    example-creds:
      url: https://git.example.com
      password: token
  ssh:
    knownHosts: "git.example.com ssh-ed25519 AAAAkey1"
    extraHosts: "other.example.com ssh-ed25519 AAAAkey2"
  tls:
    certificates:
      git.example.com: |
        -----BEGIN CERTIFICATE-----
        abc
        -----END CERTIFICATE-----
`), &values); err != nil {
		t.Fatal(err)
	}
	out, err := Render(loadChart(t), Options{ReleaseName: "capstan", Namespace: "argocd", Values: values})
	if err != nil {
		t.Fatal(err)
	}
	type settingsObject struct {
		Kind, Namespace, SecretType string
		Data                        map[string]string
	}
	got := map[string]settingsObject{}
	for _, doc := range strings.Split(out, "\n---\n") {
		var obj struct {
			Kind     string
			Metadata struct {
				Name, Namespace string
				Labels          map[string]string
			}
			Data map[string]string
		}
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind != "ConfigMap" && obj.Kind != "Secret" {
			continue
		}
		if obj.Kind == "Secret" {
			for k, v := range obj.Data {
				b, err := base64.StdEncoding.DecodeString(v)
				if err != nil {
					t.Fatalf("Secret %s key %s: %v", obj.Metadata.Name, k, err)
				}
				obj.Data[k] = string(b)
			}
		}
		got[obj.Metadata.Name] = settingsObject{Kind: obj.Kind, Namespace: obj.Metadata.Namespace, SecretType: obj.Metadata.Labels["argocd.argoproj.io/secret-type"], Data: obj.Data}
	}
	want := map[string]settingsObject{
		"argocd-cm": {Kind: "ConfigMap", Namespace: "argocd", Data: map[string]string{
			"timeout.reconciliation":                           "60s",
			"resource.customizations.health.example.com_Thing": "hs = {}\nreturn hs\n",
		}},
		"argocd-cmd-params-cm": {Kind: "ConfigMap", Namespace: "argocd", Data: map[string]string{"controller.status.processors": "20"}},
		"argocd-rbac-cm": {Kind: "ConfigMap", Namespace: "argocd", Data: map[string]string{
			"policy.csv": "g, admins, role:admin", "policy.default": "", "scopes": "[groups]",
		}},
		"argocd-secret": {Kind: "Secret", Namespace: "argocd", Data: map[string]string{
			"webhook.github.secret": "gh-secret", "webhook.gogs.secret": "gogs-secret", "server.secretkey": "key",
		}},
		"private-repo": {Kind: "Secret", Namespace: "argocd", SecretType: "repository", Data: map[string]string{
			"url": "https://git.example.com/team/apps.git", "username": "bot", "password": "pass",
		}},
		"example-creds": {Kind: "Secret", Namespace: "argocd", SecretType: "repo-creds", Data: map[string]string{
			"url": "https://git.example.com", "password": "token",
		}},
		"argocd-ssh-known-hosts-cm": {Kind: "ConfigMap", Namespace: "argocd", Data: map[string]string{
			"ssh_known_hosts": "git.example.com ssh-ed25519 AAAAkey1\nother.example.com ssh-ed25519 AAAAkey2",
		}},
		"argocd-tls-certs-cm": {Kind: "ConfigMap", Namespace: "argocd", Data: map[string]string{
			"git.example.com": "-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----",
		}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings objects (-want +got):\n%s", diff)
	}
}
