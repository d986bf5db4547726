// Package cluster reaches the clusters Applications deploy to: the one
// capstan runs in and those registered by cluster Secrets, with Argo CD's
// keys (name, server, config JSON).
package cluster

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/rest"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// InClusterServer and InClusterName name the cluster capstan runs against.
const (
	InClusterServer = "https://kubernetes.default.svc"
	InClusterName   = "in-cluster"
)

// Cluster is one destination.
type Cluster struct {
	Name   string
	Server string
	// Namespaces limits the namespaces capstan manages there, when set.
	Namespaces []string
	// Config reaches the cluster's API server.
	Config *rest.Config
}

// Destinations resolves Application destinations to clusters.
type Destinations struct {
	byServer map[string]*Cluster
	byName   map[string]*Cluster
}

// ErrUnknownDestination is returned for a destination no cluster matches.
var ErrUnknownDestination = errors.New("unknown destination cluster")

// NewDestinations builds the destinations from the in-cluster configuration
// and the cluster Secrets. A Secret that cannot be read is reported, and
// the others are still used.
func NewDestinations(inCluster *rest.Config, secrets []corev1.Secret) (*Destinations, error) {
	d := &Destinations{byServer: map[string]*Cluster{}, byName: map[string]*Cluster{}}
	if inCluster != nil {
		d.add(&Cluster{Name: InClusterName, Server: InClusterServer, Config: rest.CopyConfig(inCluster)})
	}
	var errs []error
	sort.Slice(secrets, func(i, j int) bool { return secrets[i].Name < secrets[j].Name })
	for i := range secrets {
		s := &secrets[i]
		if s.Labels[v1alpha1.LabelSecretType] != v1alpha1.SecretTypeCluster {
			continue
		}
		c, err := fromSecret(s, inCluster)
		if err != nil {
			errs = append(errs, fmt.Errorf("cluster Secret %s/%s: %w", s.Namespace, s.Name, err))
			continue
		}
		d.add(c)
	}
	return d, errors.Join(errs...)
}

func (d *Destinations) add(c *Cluster) {
	d.byServer[normalizeServer(c.Server)] = c
	if c.Name != "" {
		d.byName[c.Name] = c
	}
}

// Resolve finds the cluster of dest. Setting both server and name is an
// error, as in Argo CD.
func (d *Destinations) Resolve(dest v1alpha1.ApplicationDestination) (*Cluster, error) {
	switch {
	case dest.Server != "" && dest.Name != "":
		return nil, fmt.Errorf("destination sets both server %s and name %s: set one", dest.Server, dest.Name)
	case dest.Server == "" && dest.Name == "":
		return nil, errors.New("destination sets neither server nor name")
	case dest.Name != "":
		if c, ok := d.byName[dest.Name]; ok {
			return c, nil
		}
		return nil, fmt.Errorf("%w: no cluster named %s", ErrUnknownDestination, dest.Name)
	}
	if c, ok := d.byServer[normalizeServer(dest.Server)]; ok {
		return c, nil
	}
	return nil, fmt.Errorf("%w: no cluster with server %s", ErrUnknownDestination, dest.Server)
}

// All lists the clusters, ordered by server.
func (d *Destinations) All() []*Cluster {
	out := make([]*Cluster, 0, len(d.byServer))
	for _, c := range d.byServer {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Server < out[j].Server })
	return out
}

func normalizeServer(s string) string { return strings.TrimRight(strings.ToLower(s), "/") }

// secretConfig is the `config` key of a cluster Secret.
type secretConfig struct {
	Username        string `json:"username,omitempty"`
	Password        string `json:"password,omitempty"`
	BearerToken     string `json:"bearerToken,omitempty"`
	TLSClientConfig struct {
		Insecure   bool   `json:"insecure,omitempty"`
		ServerName string `json:"serverName,omitempty"`
		CAData     []byte `json:"caData,omitempty"`
		CertData   []byte `json:"certData,omitempty"`
		KeyData    []byte `json:"keyData,omitempty"`
	} `json:"tlsClientConfig"`
	ExecProviderConfig *struct{} `json:"execProviderConfig,omitempty"`
	AWSAuthConfig      *struct{} `json:"awsAuthConfig,omitempty"`
}

func fromSecret(s *corev1.Secret, inCluster *rest.Config) (*Cluster, error) {
	server := strings.TrimSpace(string(s.Data["server"]))
	if server == "" {
		return nil, errors.New("key server is empty")
	}
	c := &Cluster{Name: string(s.Data["name"]), Server: server}
	if ns := strings.TrimSpace(string(s.Data["namespaces"])); ns != "" {
		for _, n := range strings.Split(ns, ",") {
			c.Namespaces = append(c.Namespaces, strings.TrimSpace(n))
		}
	}
	// A Secret for the in-cluster server only renames it, as in Argo CD.
	if normalizeServer(server) == InClusterServer && inCluster != nil && len(s.Data["config"]) == 0 {
		c.Config = rest.CopyConfig(inCluster)
		return c, nil
	}
	var sc secretConfig
	if raw := s.Data["config"]; len(raw) > 0 {
		if err := json.Unmarshal(raw, &sc); err != nil {
			return nil, fmt.Errorf("key config is not valid JSON: %w", err)
		}
	}
	if sc.ExecProviderConfig != nil || sc.AWSAuthConfig != nil {
		return nil, errors.New("exec and AWS authentication are not supported: use a bearer token or a client certificate")
	}
	c.Config = &rest.Config{
		// The API server's priority and fairness protects it; a client-side
		// limit would make capstan the bottleneck.
		QPS:         -1,
		Host:        server,
		Username:    sc.Username,
		Password:    sc.Password,
		BearerToken: sc.BearerToken,
		TLSClientConfig: rest.TLSClientConfig{
			Insecure:   sc.TLSClientConfig.Insecure,
			ServerName: sc.TLSClientConfig.ServerName,
			CAData:     sc.TLSClientConfig.CAData,
			CertData:   sc.TLSClientConfig.CertData,
			KeyData:    sc.TLSClientConfig.KeyData,
		},
	}
	return c, nil
}

// Fingerprint identifies how the cluster is reached (server, credentials,
// TLS settings): when a cluster Secret's credentials rotate, it changes,
// and clients made with the old ones are replaced.
func (c *Cluster) Fingerprint() string {
	cfg := c.Config
	h := sha256.New()
	for _, part := range []string{
		cfg.Host, cfg.APIPath, cfg.BearerToken, cfg.BearerTokenFile, cfg.Username, cfg.Password,
		cfg.TLSClientConfig.ServerName, strconv.FormatBool(cfg.TLSClientConfig.Insecure),
		string(cfg.TLSClientConfig.CAData), cfg.TLSClientConfig.CAFile,
		string(cfg.TLSClientConfig.CertData), cfg.TLSClientConfig.CertFile,
		string(cfg.TLSClientConfig.KeyData), cfg.TLSClientConfig.KeyFile,
	} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
