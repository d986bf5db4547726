package server

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestRepoJSON(t *testing.T) {
	tests := []struct {
		name   string
		data   map[string]string
		urlKey string
		want   map[string]any
	}{{
		name:   "credentials are left out, flags and numbers typed",
		urlKey: "repo",
		data: map[string]string{
			"url": "https://git.example/a.git", "username": "bob", "password": "p", "bearerToken": "b",
			"sshPrivateKey": "k", "tlsClientCertKey": "ck", "githubAppPrivateKey": "gk", "gcpServiceAccountKey": "g",
			"insecure": "true", "enableLfs": "false", "githubAppID": "42", "project": "team-a",
		},
		want: map[string]any{"repo": "https://git.example/a.git", "username": "bob", "insecure": true, "githubAppID": int64(42), "project": "team-a", "type": "git"},
	}, {
		name:   "a template names its url url",
		urlKey: "url",
		data:   map[string]string{"url": "https://git.example/", "type": "helm"},
		want:   map[string]any{"url": "https://git.example/", "type": "helm"},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &corev1.Secret{Data: byteData(tc.data)}
			if d := cmp.Diff(tc.want, repoJSON(s, tc.urlKey)); d != "" {
				t.Errorf("repoJSON (-want +got):\n%s", d)
			}
		})
	}
}

func TestSecretData(t *testing.T) {
	tests := []struct {
		name    string
		body    map[string]any
		want    map[string]string
		wantErr bool
	}{{
		name: "typed values as text, false and zero unset, answered fields ignored",
		body: map[string]any{"repo": "https://git.example/a.git", "password": "p", "insecure": true, "enableLfs": false, "depth": float64(0), "githubAppID": float64(7), "connectionState": map[string]any{}},
		want: map[string]string{"url": "https://git.example/a.git", "password": "p", "insecure": "true", "githubAppID": "7"},
	}, {
		name:    "a typo is an error, not a dropped setting",
		body:    map[string]any{"repo": "https://git.example/a.git", "pasword": "p"},
		wantErr: true,
	}, {
		name:    "the url is required",
		body:    map[string]any{"username": "bob"},
		wantErr: true,
	}, {
		name:    "a flag must be a boolean",
		body:    map[string]any{"repo": "x", "insecure": "maybe"},
		wantErr: true,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := secretData(tc.body, "repo")
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if d := cmp.Diff(tc.want, got); !tc.wantErr && d != "" {
				t.Errorf("secretData (-want +got):\n%s", d)
			}
		})
	}
}

func TestShownConfig(t *testing.T) {
	in := map[string]any{
		"bearerToken": "t", "password": "p", "username": "u",
		"tlsClientConfig":    map[string]any{"keyData": "k", "certData": "c", "insecure": true},
		"execProviderConfig": map[string]any{"command": "aws", "env": map[string]any{"TOKEN": "x"}},
	}
	want := map[string]any{
		"username":           "u",
		"tlsClientConfig":    map[string]any{"certData": "c", "insecure": true},
		"execProviderConfig": map[string]any{"command": "aws"},
	}
	if d := cmp.Diff(want, shownConfig(in)); d != "" {
		t.Errorf("shownConfig (-want +got):\n%s", d)
	}
	if _, ok := in["tlsClientConfig"].(map[string]any)["keyData"]; !ok {
		t.Errorf("shownConfig changed its input")
	}
}
