package server

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// fieldKind is how a repository Secret key is typed in the API's JSON.
type fieldKind int

const (
	textField fieldKind = iota
	boolField
	intField
)

// repoField is one key of a repository or repo-creds Secret, named as in
// Argo CD's Secrets and in its API's JSON (where url is "repo" for a
// repository).
type repoField struct {
	key  string
	kind fieldKind
	// secret values are written but never answered.
	secret bool
}

// repoFields are the keys capstan reads and writes, Argo CD's. The
// secret ones are the credentials: passwords, tokens and private keys.
var repoFields = []repoField{
	{key: "url"}, {key: "name"}, {key: "type"}, {key: "project"},
	{key: "username"},
	{key: "password", secret: true},
	{key: "bearerToken", secret: true},
	{key: "sshPrivateKey", secret: true},
	{key: "tlsClientCertData"},
	{key: "tlsClientCertKey", secret: true},
	{key: "githubAppPrivateKey", secret: true},
	{key: "gcpServiceAccountKey", secret: true},
	{key: "githubAppID", kind: intField},
	{key: "githubAppInstallationID", kind: intField},
	{key: "githubAppEnterpriseBaseUrl"},
	{key: "insecure", kind: boolField},
	{key: "insecureIgnoreHostKey", kind: boolField},
	{key: "enableLfs", kind: boolField},
	{key: "enableOCI", kind: boolField},
	{key: "insecureOCIForceHttp", kind: boolField},
	{key: "forceHttpBasicAuth", kind: boolField},
	{key: "useAzureWorkloadIdentity", kind: boolField},
	{key: "proxy"}, {key: "noProxy"},
	{key: "depth", kind: intField},
}

// secretValue reads key of s from data, or stringData when not applied
// yet.
func secretValue(s *corev1.Secret, key string) (string, bool) {
	if v, ok := s.Data[key]; ok {
		return string(v), true
	}
	v, ok := s.StringData[key]
	return v, ok
}

// repoJSON is what the API shows of a repository or repo-creds Secret:
// every key but the credentials, typed as Argo CD's JSON types them, with
// url under urlKey.
func repoJSON(s *corev1.Secret, urlKey string) map[string]any {
	out := map[string]any{}
	for _, f := range repoFields {
		v, ok := secretValue(s, f.key)
		if !ok || f.secret || v == "" {
			continue
		}
		name := f.key
		if name == "url" {
			name = urlKey
		}
		switch f.kind {
		case boolField:
			if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil && b {
				out[name] = true
			}
		case intField:
			if n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64); err == nil {
				out[name] = n
			}
		default:
			out[name] = v
		}
	}
	if urlKey == "repo" {
		if _, ok := out["type"]; !ok {
			out["type"] = "git"
		}
	}
	return out
}

// secretData turns a request body into Secret keys: url from urlKey,
// booleans and numbers as text. An unknown key or a value of the wrong
// type is an error, so that a typo does not silently drop a setting.
func secretData(body map[string]any, urlKey string) (map[string]string, error) {
	known := map[string]repoField{}
	for _, f := range repoFields {
		name := f.key
		if name == "url" {
			name = urlKey
		}
		known[name] = f
	}
	out := map[string]string{}
	keys := make([]string, 0, len(body))
	for k := range body {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, name := range keys {
		f, ok := known[name]
		if !ok {
			if name == "connectionState" || name == "inheritedCreds" {
				continue // answered by the API, not stored
			}
			return nil, fmt.Errorf("unknown field %q", name)
		}
		v, err := fieldText(f, body[name])
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", name, err)
		}
		if v != "" {
			out[f.key] = v
		}
	}
	if strings.TrimSpace(out["url"]) == "" {
		return nil, fmt.Errorf("field %q is required", urlKey)
	}
	return out, nil
}

// fieldText is a JSON value of f as a Secret's text; "" means unset.
func fieldText(f repoField, v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case string:
		if f.kind == boolField {
			if _, err := strconv.ParseBool(x); err != nil && x != "" {
				return "", fmt.Errorf("want a boolean")
			}
		}
		return x, nil
	case bool:
		if f.kind != boolField {
			return "", fmt.Errorf("want a string")
		}
		if !x {
			return "", nil
		}
		return "true", nil
	case float64:
		if f.kind != intField {
			return "", fmt.Errorf("want a string")
		}
		if x == 0 {
			return "", nil
		}
		return strconv.FormatInt(int64(x), 10), nil
	}
	return "", fmt.Errorf("unsupported value %v", v)
}

// secretName is the name of the Secret the API creates for a URL, by
// prefix ("repo", "creds"): stable, so a second create finds the first.
func secretName(prefix, url string) string {
	h := fnv.New32a()
	h.Write([]byte(url))
	return fmt.Sprintf("%s-%d", prefix, h.Sum32())
}

// keepSecrets copies into data the credentials of old that data does not
// set: an update that leaves out the password keeps it, since the API
// never gives the password back to send again.
func keepSecrets(data map[string]string, old *corev1.Secret) {
	for _, f := range repoFields {
		if !f.secret {
			continue
		}
		if _, ok := data[f.key]; ok {
			continue
		}
		if v, ok := secretValue(old, f.key); ok && v != "" {
			data[f.key] = v
		}
	}
}

// ownCredentials reports whether data carries credentials of its own.
func ownCredentials(data map[string]string) bool {
	for _, k := range []string{"username", "password", "bearerToken", "sshPrivateKey", "tlsClientCertData", "githubAppPrivateKey"} {
		if data[k] != "" {
			return true
		}
	}
	return false
}
