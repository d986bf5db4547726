package server

import "testing"

func TestClusterDataKeepsCredentials(t *testing.T) {
	static := map[string]any{"bearerToken": "tok", "tlsClientConfig": map[string]any{"keyData": "a2V5", "caData": "Q0E="}}
	exec := map[string]any{"execProviderConfig": map[string]any{"command": "creds", "env": map[string]any{"K": "v"}}}
	tests := []struct {
		name  string
		old   map[string]any
		input map[string]any
		want  string
	}{
		{name: "credentials left out are kept", old: static, input: map[string]any{"tlsClientConfig": map[string]any{"caData": "Q0E="}},
			want: `{"bearerToken":"tok","tlsClientConfig":{"caData":"Q0E=","keyData":"a2V5"}}`},
		{name: "a new token replaces the old", old: static, input: map[string]any{"bearerToken": "new"},
			want: `{"bearerToken":"new","tlsClientConfig":{"keyData":"a2V5"}}`},
		{name: "the exec environment is kept", old: exec, input: map[string]any{"execProviderConfig": map[string]any{"command": "creds"}},
			want: `{"execProviderConfig":{"command":"creds","env":{"K":"v"}}}`},
		{name: "AWS replaces a token", old: static, input: map[string]any{"awsAuthConfig": map[string]any{"clusterName": "eks"}},
			want: `{"awsAuthConfig":{"clusterName":"eks"}}`},
		{name: "a token replaces exec", old: exec, input: map[string]any{"bearerToken": "tok"},
			want: `{"bearerToken":"tok"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, err := clusterData(clusterRequest{Server: "https://a", Config: tt.input}, tt.old)
			if err != nil {
				t.Fatal(err)
			}
			if data["config"] != tt.want {
				t.Errorf("config %s, want %s", data["config"], tt.want)
			}
		})
	}
}
