package source

import (
	"net"
	"net/url"
	"strings"
)

// proxyFor is the proxy that requests to target (a URL) go through for
// repo: its proxy, unless target's host is in its noProxy list; "" for
// none set, when the environment's proxy (HTTPS_PROXY, NO_PROXY) applies.
func proxyFor(repo Repository, target string) string {
	if repo.Proxy == "" || bypassesProxy(repo.NoProxy, target) {
		return ""
	}
	return repo.Proxy
}

// bypassesProxy reports whether target's host is in noProxy, a
// comma-separated list of entries as in NO_PROXY: "*" for every host; an
// IP address or CIDR range; a host name, which also covers its
// subdomains, or a ".domain" that covers only the subdomains. An entry
// with a ":port" covers only that port.
func bypassesProxy(noProxy, target string) bool {
	host, port := hostPort(target)
	if host == "" {
		return false
	}
	ip := net.ParseIP(host)
	for _, entry := range strings.Split(noProxy, ",") {
		entry = strings.ToLower(strings.TrimSpace(entry))
		if entry == "" {
			continue
		}
		if entry == "*" {
			return true
		}
		if _, cidr, err := net.ParseCIDR(entry); err == nil {
			if ip != nil && cidr.Contains(ip) {
				return true
			}
			continue
		}
		name, entryPort := entry, ""
		if h, p, err := net.SplitHostPort(entry); err == nil {
			name, entryPort = h, p
		}
		if entryPort != "" && entryPort != port {
			continue
		}
		if eip := net.ParseIP(strings.Trim(name, "[]")); eip != nil {
			if ip != nil && eip.Equal(ip) {
				return true
			}
			continue
		}
		if strings.HasPrefix(name, ".") {
			if strings.HasSuffix(host, name) {
				return true
			}
			continue
		}
		if host == name || strings.HasSuffix(host, "."+name) {
			return true
		}
	}
	return false
}

// hostPort is the lower-case host and the port a URL dials, the scheme's
// default port when it names none.
func hostPort(target string) (host, port string) {
	u, err := url.Parse(strings.TrimSpace(target))
	if err != nil {
		return "", ""
	}
	host, port = strings.ToLower(u.Hostname()), u.Port()
	if port == "" {
		switch u.Scheme {
		case "http":
			port = "80"
		case "https", "oci":
			port = "443"
		}
	}
	return host, port
}
