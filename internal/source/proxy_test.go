package source

import "testing"

func TestProxyBypass(t *testing.T) {
	tests := []struct {
		name, noProxy, target string
		want                  bool
	}{
		{"empty list", "", "https://git.example/r.git", false},
		{"star", "*", "https://git.example/r.git", true},
		{"exact host", "git.example", "https://git.example/r.git", true},
		{"host covers subdomains", "example", "https://git.example/r.git", true},
		{"no partial label", "xample", "https://git.example/r.git", false},
		{"dot covers subdomains", ".example", "https://git.example/r.git", true},
		{"dot does not cover the domain", ".git.example", "https://git.example/r.git", false},
		{"case and spaces", " other.example , GIT.Example ", "https://git.example/r.git", true},
		{"other host", "other.example", "https://git.example/r.git", false},
		{"port matches", "git.example:8443", "https://git.example:8443/r.git", true},
		{"port differs", "git.example:8443", "https://git.example/r.git", false},
		{"default port of https", "git.example:443", "https://git.example/r.git", true},
		{"default port of http", "git.example:80", "http://git.example/r.git", true},
		{"ip", "127.0.0.1", "http://127.0.0.1:3000/r.git", true},
		{"ip with port", "127.0.0.1:3000", "http://127.0.0.1:3000/r.git", true},
		{"ip other port", "127.0.0.1:3001", "http://127.0.0.1:3000/r.git", false},
		{"cidr", "10.0.0.0/8", "https://10.1.2.3/r.git", true},
		{"cidr outside", "10.0.0.0/8", "https://11.1.2.3/r.git", false},
		{"cidr against a name", "10.0.0.0/8", "https://git.example/r.git", false},
		{"ipv6", "::1", "https://[::1]:8443/r.git", true},
		{"ipv6 bracketed with port", "[::1]:8443", "https://[::1]:8443/r.git", true},
		{"unparsable target", "*", "://bad", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := bypassesProxy(tt.noProxy, tt.target); got != tt.want {
				t.Errorf("bypassesProxy(%q, %q) = %v, want %v", tt.noProxy, tt.target, got, tt.want)
			}
		})
	}
	repo := Repository{Proxy: "http://proxy:3128", NoProxy: "internal.example"}
	if got := proxyFor(repo, "https://git.example/r.git"); got != repo.Proxy {
		t.Errorf("proxyFor outside noProxy = %q, want the proxy", got)
	}
	if got := proxyFor(repo, "https://git.internal.example/r.git"); got != "" {
		t.Errorf("proxyFor inside noProxy = %q, want none", got)
	}
}
