package session

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseAccounts(t *testing.T) {
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		cm      map[string]string
		secret  map[string][]byte
		want    map[string]Account
		wantErr string
	}{
		{
			name: "nothing set: the admin alone, with login",
			want: map[string]Account{Admin: {Name: Admin, Enabled: true, Capabilities: []string{CapabilityLogin}}},
		},
		{
			name: "accounts with capabilities, one disabled, admin disabled",
			cm: map[string]string{
				"accounts.alice": "apiKey, login", "accounts.bob": "apiKey",
				"accounts.bob.enabled": "false", "admin.enabled": "false", "url": "https://x",
			},
			secret: map[string][]byte{
				"admin.password": []byte("$2a$hash"), "admin.passwordMtime": []byte("2026-01-02T03:04:05Z"),
				"accounts.bob.tokens": []byte(`[{"id":"t1","iat":10,"exp":20},{"id":"t2","iat":11}]`),
			},
			want: map[string]Account{
				Admin:   {Name: Admin, Enabled: false, Capabilities: []string{CapabilityLogin}, PasswordHash: "$2a$hash", PasswordMtime: mtime},
				"alice": {Name: "alice", Enabled: true, Capabilities: []string{CapabilityAPIKey, CapabilityLogin}},
				"bob": {Name: "bob", Enabled: false, Capabilities: []string{CapabilityAPIKey},
					Tokens: []Token{{ID: "t1", IssuedAt: 10, ExpiresAt: 20}, {ID: "t2", IssuedAt: 11}}},
			},
		},
		{
			name: "accounts.admin adds a capability, login stays",
			cm:   map[string]string{"accounts.admin": "apiKey"},
			want: map[string]Account{Admin: {Name: Admin, Enabled: true, Capabilities: []string{CapabilityLogin, CapabilityAPIKey}}},
		},
		{
			name:    "a bad enabled value names its key",
			cm:      map[string]string{"accounts.alice": "login", "accounts.alice.enabled": "maybe"},
			wantErr: "argocd-cm: accounts.alice.enabled",
		},
		{
			name:    "bad tokens JSON names its key",
			cm:      map[string]string{"accounts.alice": "apiKey"},
			secret:  map[string][]byte{"accounts.alice.tokens": []byte("{")},
			wantErr: "argocd-secret: accounts.alice.tokens",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAccounts(tt.cm, tt.secret)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
		})
	}
}
