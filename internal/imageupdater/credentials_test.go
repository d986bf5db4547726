package imageupdater

import (
	"encoding/base64"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseCredentialSource(t *testing.T) {
	tests := []struct {
		in      string
		want    CredentialSource
		wantErr bool
	}{
		{in: "pullsecret:argocd/regcred", want: CredentialSource{Kind: CredsPullSecret, Namespace: "argocd", Name: "regcred"}},
		{in: "secret:argocd/creds#ghcr", want: CredentialSource{Kind: CredsSecret, Namespace: "argocd", Name: "creds", Field: "ghcr"}},
		{in: "env:REGISTRY_CREDS", want: CredentialSource{Kind: CredsEnv, Env: "REGISTRY_CREDS"}},
		{in: "ext:/scripts/ecr-login.sh", want: CredentialSource{Kind: CredsExt, Path: "/scripts/ecr-login.sh"}},
		{in: "ext:scripts/ecr-login.sh", wantErr: true},
		{in: "secret:argocd/creds", wantErr: true},
		{in: "pullsecret:regcred", wantErr: true},
		{in: "pullsecret:a/b/c", wantErr: true},
		{in: "vault:x", wantErr: true},
		{in: "env:", wantErr: true},
		{in: "user:password", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseCredentialSource(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseCredentialSource(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if tt.wantErr {
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseCredentialSource(%q) (-want +got):\n%s", tt.in, diff)
		}
		if got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

func TestDockerConfigCredential(t *testing.T) {
	auth := base64.StdEncoding.EncodeToString([]byte("hub-user:hub:pass"))
	data := []byte(`{"auths": {
		"https://index.docker.io/v1/": {"auth": "` + auth + `"},
		"ghcr.io": {"username": "gh", "password": "ghp"},
		"https://127.0.0.1:5000": {"username": "local", "password": "lp"}
	}}`)
	tests := []struct {
		prefix  string
		want    Credential
		wantErr bool
	}{
		{prefix: "docker.io", want: Credential{Username: "hub-user", Password: "hub:pass"}},
		{prefix: "ghcr.io", want: Credential{Username: "gh", Password: "ghp"}},
		{prefix: "127.0.0.1:5000", want: Credential{Username: "local", Password: "lp"}},
		{prefix: "quay.io", wantErr: true},
	}
	for _, tt := range tests {
		got, err := dockerConfigCredential(data, tt.prefix)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error = %v, want error %v", tt.prefix, err, tt.wantErr)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tt.prefix, diff)
		}
	}
}
