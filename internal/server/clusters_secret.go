package server

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"net/url"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/capstan-cd/capstan/internal/cluster"
)

// clusterFields are Argo CD's Cluster message: what a client sends,
// credentials included in its config, and, credentials removed, what the
// API answers.
type clusterFields struct {
	Server           string            `json:"server"`
	Name             string            `json:"name"`
	Config           map[string]any    `json:"config"`
	Namespaces       []string          `json:"namespaces,omitempty"`
	ClusterResources bool              `json:"clusterResources,omitempty"`
	Project          string            `json:"project,omitempty"`
	Shard            *int64            `json:"shard,omitempty"`
	Labels           map[string]string `json:"labels,omitempty"`
	Annotations      map[string]string `json:"annotations,omitempty"`
}

// clusterView is a cluster as the API answers it. ConnectionState and
// ServerVersion repeat Info's, where Argo CD's older clients read them.
type clusterView struct {
	clusterFields
	ConnectionState connectionState `json:"connectionState"`
	ServerVersion   string          `json:"serverVersion,omitempty"`
	Info            clusterInfo     `json:"info"`
}

// clusterRequest is a cluster as a client sends it.
type clusterRequest = clusterFields

// clusterSecretPaths are the credentials of a cluster's config, removed
// from every answer: passwords, bearer tokens, client keys, and the
// environment of an exec provider, which holds tokens as often as not.
var clusterSecretPaths = [][]string{
	{"password"},
	{"bearerToken"},
	{"tlsClientConfig", "keyData"},
	{"execProviderConfig", "env"},
}

// shownConfig is a cluster config without its credentials.
func shownConfig(cfg map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		out[k] = v
	}
	for _, path := range clusterSecretPaths {
		removePath(out, path)
	}
	if _, ok := out["tlsClientConfig"]; !ok {
		out["tlsClientConfig"] = map[string]any{"insecure": false}
	}
	return out
}

// removePath deletes path from m, copying the maps on the way so that m's
// source is untouched.
func removePath(m map[string]any, path []string) {
	if len(path) == 1 {
		delete(m, path[0])
		return
	}
	inner, ok := m[path[0]].(map[string]any)
	if !ok {
		return
	}
	c := make(map[string]any, len(inner))
	for k, v := range inner {
		c[k] = v
	}
	removePath(c, path[1:])
	m[path[0]] = c
}

// clusterFromSecret reads a cluster Secret, with Argo CD's keys, into what
// the API shows of it.
func clusterFromSecret(s *corev1.Secret) (clusterView, error) {
	get := func(k string) string { v, _ := secretValue(s, k); return v }
	v := clusterView{clusterFields: clusterFields{
		Server:           strings.TrimRight(strings.TrimSpace(get("server")), "/"),
		Name:             get("name"),
		Project:          get("project"),
		ClusterResources: flag(get("clusterResources")),
		Labels:           userLabels(s.Labels),
		Annotations:      userAnnotations(s.Annotations),
	}}
	if ns := strings.TrimSpace(get("namespaces")); ns != "" {
		v.Namespaces = splitList([]string{ns})
	}
	if sh := strings.TrimSpace(get("shard")); sh != "" {
		if n, err := strconv.ParseInt(sh, 10, 64); err == nil {
			v.Shard = &n
		}
	}
	cfg := map[string]any{}
	if raw := get("config"); strings.TrimSpace(raw) != "" {
		if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
			return clusterView{}, fmt.Errorf("cluster Secret %s: key config is not valid JSON: %w", s.Name, err)
		}
	}
	v.Config = shownConfig(cfg)
	return v, nil
}

// inClusterView is the cluster capstan runs in, listed when no Secret
// names it.
func inClusterView() clusterView {
	return clusterView{clusterFields: clusterFields{Server: cluster.InClusterServer, Name: cluster.InClusterName, Config: shownConfig(nil)}}
}

// userLabels are a Secret's labels but the secret-type one.
func userLabels(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		if k != "argocd.argoproj.io/secret-type" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// userAnnotations are a Secret's annotations but capstan's managed-by.
func userAnnotations(in map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range in {
		if k != annotationManagedBy && k != "kubectl.kubernetes.io/last-applied-configuration" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// clusterData is the Secret data of c. old, when set, gives the
// credentials c's config leaves out: the API never answers them, so a
// client cannot send them back.
func clusterData(c clusterRequest, old map[string]any) (map[string]string, error) {
	if strings.TrimSpace(c.Server) == "" {
		return nil, fmt.Errorf("field server is required")
	}
	cfg := map[string]any{}
	for k, v := range c.Config {
		cfg[k] = v
	}
	for _, path := range clusterSecretPaths {
		if _, ok := lookupPath(cfg, path); ok || authMethod(cfg) != authMethod(old) {
			continue
		}
		if v, ok := lookupPath(old, path); ok {
			setPath(cfg, path, v)
		}
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("encode config: %w", err)
	}
	data := map[string]string{
		"server": strings.TrimRight(strings.TrimSpace(c.Server), "/"),
		"name":   c.Name,
		"config": string(raw),
	}
	if len(c.Namespaces) > 0 {
		data["namespaces"] = strings.Join(c.Namespaces, ",")
	}
	if c.ClusterResources {
		data["clusterResources"] = "true"
	}
	if c.Project != "" {
		data["project"] = c.Project
	}
	if c.Shard != nil {
		data["shard"] = strconv.FormatInt(*c.Shard, 10)
	}
	return data, nil
}

// authMethod is how a cluster config authenticates: through AWS, an exec
// plugin, or the credentials it holds. A config that changes the method
// replaces the credentials rather than keeps the stored ones.
func authMethod(cfg map[string]any) string {
	for _, m := range []string{"awsAuthConfig", "execProviderConfig"} {
		if _, ok := cfg[m]; ok {
			return m
		}
	}
	return "static"
}

func lookupPath(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func setPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		inner, ok := m[p].(map[string]any)
		if !ok {
			inner = map[string]any{}
		} else {
			c := make(map[string]any, len(inner))
			for k, v := range inner {
				c[k] = v
			}
			inner = c
		}
		m[p] = inner
		m = inner
	}
	m[path[len(path)-1]] = v
}

// clusterSecretName is the name of the Secret the API creates for a
// server: cluster-<host>-<hash>, as Argo CD names them.
func clusterSecretName(server string) string {
	host := server
	if u, err := url.Parse(server); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	host = strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.' {
			return r
		}
		return '-'
	}, strings.ToLower(host))
	h := fnv.New32a()
	h.Write([]byte(server))
	return fmt.Sprintf("cluster-%s-%d", strings.Trim(host, "-."), h.Sum32())
}
