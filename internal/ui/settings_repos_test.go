package ui

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRepoBody(t *testing.T) {
	for _, tc := range []struct {
		name   string
		form   url.Values
		urlKey string
		want   map[string]any
	}{
		{
			name: "https sends its fields only",
			form: url.Values{"method": {"https"}, "url": {" https://git.example/a.git "}, "type": {"git"}, "project": {""},
				"username": {"me"}, "password": {" secret "}, "insecure": {"on"}, "sshPrivateKey": {"KEY"}, "insecureIgnoreHostKey": {"on"}},
			urlKey: "repo",
			want:   map[string]any{"repo": "https://git.example/a.git", "type": "git", "username": "me", "password": " secret ", "insecure": true},
		},
		{
			name: "ssh sends the key, ended by a newline",
			form: url.Values{"method": {"ssh"}, "url": {"git@git.example:a.git"}, "username": {"me"}, "password": {"x"},
				"sshPrivateKey": {"-----BEGIN KEY-----\nabc\n-----END KEY-----"}, "insecureIgnoreHostKey": {"on"}, "project": {"team"}},
			urlKey: "repo",
			want: map[string]any{"repo": "git@git.example:a.git", "project": "team",
				"sshPrivateKey": "-----BEGIN KEY-----\nabc\n-----END KEY-----\n", "insecureIgnoreHostKey": true},
		},
		{
			name:   "a Helm OCI template",
			form:   url.Values{"url": {"oci.example/charts"}, "type": {"helm"}, "enableOCI": {"on"}, "username": {"u"}},
			urlKey: "url",
			want:   map[string]any{"url": "oci.example/charts", "type": "helm", "enableOCI": true, "username": "u"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, repoBody(tc.form, tc.urlKey)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
