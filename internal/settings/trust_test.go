package settings

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTrustMaterial(t *testing.T) {
	s, err := Parse(Data{
		KnownHosts: {KeySSHKnownHosts: "git.example ssh-ed25519 AAAA\n"},
		TLSCerts:   {"git.example": "PEM-A", "127.0.0.1": "PEM-B"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.SSHKnownHosts(); got != "git.example ssh-ed25519 AAAA\n" {
		t.Errorf("SSHKnownHosts() = %q", got)
	}
	tests := []struct {
		host, want string
	}{
		{"git.example", "PEM-A"},
		{"GIT.Example", "PEM-A"},
		{"git.example:8443", "PEM-A"},
		{"127.0.0.1:443", "PEM-B"},
		{"other.example", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, s.TLSCertificates(tt.host)); diff != "" {
			t.Errorf("TLSCertificates(%q) (-want +got):\n%s", tt.host, diff)
		}
	}
	if got := Default().SSHKnownHosts(); got != "" {
		t.Errorf("default SSHKnownHosts() = %q, want none", got)
	}
}
