package imageupdater

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// ConfigMapName is the ConfigMap of the control-plane namespace that
// holds registries.conf (and the write-back settings).
const ConfigMapName = "argocd-image-updater-config"

// RegistriesConfKey is the key of ConfigMapName holding the registries.
const RegistriesConfKey = "registries.conf"

// DefaultRateLimit is how many requests per second a registry gets when
// its entry sets no limit.
const DefaultRateLimit = 20

// The values of tagsortmode.
const (
	TagSortNone        = "none"
	TagSortLatestFirst = "latest-first"
	TagSortLatestLast  = "latest-last"
)

// dockerHub is the name images on Docker Hub are known by; its API is
// elsewhere, and its one-part names live in library/.
const (
	dockerHub       = "docker.io"
	dockerHubAPI    = "https://registry-1.docker.io"
	dockerHubNSpace = "library"
)

// RegistryConfig is one entry of registries.conf.
type RegistryConfig struct {
	Name   string `json:"name"`
	APIURL string `json:"api_url"`
	// Prefix is the registry part of the image names this entry serves
	// (a host, or a host and a path).
	Prefix string `json:"prefix,omitempty"`
	// Ping is accepted for compatibility and has no effect.
	Ping bool `json:"ping,omitempty"`
	// Credentials is a credential source (see ParseCredentialSource).
	Credentials string `json:"credentials,omitempty"`
	// CredsExpire is how long credentials are reused, a Go duration;
	// empty means until they are refused.
	CredsExpire string `json:"credsexpire,omitempty"`
	// DefaultNS is put before one-part image names (library on Docker Hub).
	DefaultNS string `json:"defaultns,omitempty"`
	// Default serves the images whose name has no registry part.
	Default bool `json:"default,omitempty"`
	// Insecure skips the verification of the registry's certificate.
	Insecure bool `json:"insecure,omitempty"`
	// CAFile and CAData are PEM certificates to trust.
	CAFile string `json:"ca_file,omitempty"`
	CAData string `json:"ca_data,omitempty"`
	// Limit is the requests per second allowed; 0 means DefaultRateLimit.
	Limit int `json:"limit,omitempty"`
	// TagSortMode says the registry lists tags newest first or last, so
	// that newest-build needs no metadata.
	TagSortMode string `json:"tagsortmode,omitempty"`
}

// RegistriesConf is the content of registries.conf.
type RegistriesConf struct {
	Registries []RegistryConfig `json:"registries"`
}

// ParseRegistriesConf reads registries.conf. Unknown keys are an error, as
// are entries without name or api_url, more than one entry without prefix
// or marked default, and values that do not parse.
func ParseRegistriesConf(data []byte) (*RegistriesConf, error) {
	var conf RegistriesConf
	if err := yaml.UnmarshalStrict(data, &conf); err != nil {
		return nil, fmt.Errorf("%s: %w", RegistriesConfKey, err)
	}
	var noPrefix, defaults int
	for i := range conf.Registries {
		r := &conf.Registries[i]
		if r.Prefix == "" {
			noPrefix++
		}
		if r.Default {
			defaults++
		}
		if err := r.check(); err != nil {
			return nil, fmt.Errorf("%s: registry %d (%s): %w", RegistriesConfKey, i, r.Name, err)
		}
	}
	if noPrefix > 1 {
		return nil, fmt.Errorf("%s: %d registries have no prefix, at most one may", RegistriesConfKey, noPrefix)
	}
	if defaults > 1 {
		return nil, fmt.Errorf("%s: %d registries are marked default, at most one may be", RegistriesConfKey, defaults)
	}
	return &conf, nil
}

func (r *RegistryConfig) check() error {
	if r.Name == "" {
		return errors.New("name is required")
	}
	u, err := url.Parse(r.APIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("api_url %q is not an http(s) URL", r.APIURL)
	}
	if r.Credentials != "" {
		if _, err := ParseCredentialSource(r.Credentials); err != nil {
			return err
		}
	}
	if r.CredsExpire != "" {
		if d, err := time.ParseDuration(r.CredsExpire); err != nil || d < 0 {
			return fmt.Errorf("credsexpire %q is not a duration", r.CredsExpire)
		}
	}
	if r.Limit < 0 {
		return fmt.Errorf("limit %d is negative", r.Limit)
	}
	switch r.TagSortMode {
	case "", TagSortNone, TagSortLatestFirst, TagSortLatestLast:
	default:
		return fmt.Errorf("tagsortmode %q: want none, latest-first or latest-last", r.TagSortMode)
	}
	if r.CAFile != "" {
		data, err := os.ReadFile(r.CAFile)
		if err != nil {
			return fmt.Errorf("ca_file: %w", err)
		}
		r.CAData = string(data)
		r.CAFile = ""
	}
	return nil
}

// ReadRegistriesConf reads registries.conf from the ConfigMap in
// namespace; a missing ConfigMap or key means no entries (Docker Hub and
// registries inferred from image names still work).
func ReadRegistriesConf(ctx context.Context, c client.Reader, namespace string) (*RegistriesConf, error) {
	var cm corev1.ConfigMap
	err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: ConfigMapName}, &cm)
	if apierrors.IsNotFound(err) {
		return &RegistriesConf{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read ConfigMap %s/%s: %w", namespace, ConfigMapName, err)
	}
	conf, err := ParseRegistriesConf([]byte(cm.Data[RegistriesConfKey]))
	if err != nil {
		return nil, fmt.Errorf("ConfigMap %s/%s: %w", namespace, ConfigMapName, err)
	}
	return conf, nil
}

// endpoint is how one registry is reached, as resolved for an image.
type endpoint struct {
	Name string
	// Prefix is the registry part of image names.
	Prefix string
	// Host is the API's host[:port]; PlainHTTP when api_url is http.
	Host      string
	PlainHTTP bool
	Insecure  bool
	CAData    string
	// Credentials and CredsExpire as configured.
	Credentials string
	CredsExpire time.Duration
	DefaultNS   string
	Limit       int
	TagSortMode string
}

// endpointOf turns a configured entry into an endpoint.
func endpointOf(r RegistryConfig) endpoint {
	u, _ := url.Parse(r.APIURL)
	expire, _ := time.ParseDuration(r.CredsExpire)
	ep := endpoint{
		Name: r.Name, Prefix: r.Prefix, Host: u.Host, PlainHTTP: u.Scheme == "http",
		Insecure: r.Insecure, CAData: r.CAData, Credentials: r.Credentials, CredsExpire: expire,
		DefaultNS: r.DefaultNS, Limit: r.Limit, TagSortMode: r.TagSortMode,
	}
	if ep.Prefix == "" {
		ep.Prefix = u.Host
	}
	if ep.Limit == 0 {
		ep.Limit = DefaultRateLimit
	}
	return ep
}

// dockerHubEndpoint is Docker Hub when registries.conf does not name it.
var dockerHubEndpoint = endpoint{
	Name: "Docker Hub", Prefix: dockerHub, Host: strings.TrimPrefix(dockerHubAPI, "https://"),
	DefaultNS: dockerHubNSpace, Limit: DefaultRateLimit,
}

// imageLocation is where an image lives: the registry serving it and its
// repository path there.
type imageLocation struct {
	Endpoint   endpoint
	Repository string
}

// Canonical is the image's full name, the same however it was written
// (nginx, docker.io/nginx and docker.io/library/nginx agree).
func (l imageLocation) Canonical() string {
	return registryHostAlias(l.Endpoint.Prefix) + "/" + l.Repository
}

// locate finds the registry of an image name (without tag): the entry
// whose prefix matches longest, the default entry for names without a
// registry part, else Docker Hub or https://<registry part>.
func (c *RegistriesConf) locate(image string) imageLocation {
	host, path := splitRegistry(image)
	var ep endpoint
	found := false
	if host == "" {
		if r, ok := c.defaultEntry(); ok {
			ep, found = endpointOf(r), true
		} else {
			host = dockerHub
		}
	}
	if !found {
		ep, found = c.byPrefix(host, path)
	}
	if !found {
		if registryHostAlias(host) == dockerHub {
			ep = dockerHubEndpoint
		} else {
			ep = endpoint{Name: host, Prefix: host, Host: host, Limit: DefaultRateLimit}
		}
	}
	if ep.DefaultNS != "" && !strings.Contains(path, "/") {
		path = ep.DefaultNS + "/" + path
	}
	return imageLocation{Endpoint: ep, Repository: path}
}

func (c *RegistriesConf) defaultEntry() (RegistryConfig, bool) {
	if c == nil {
		return RegistryConfig{}, false
	}
	for _, r := range c.Registries {
		if r.Default {
			return r, true
		}
	}
	for _, r := range c.Registries {
		if r.Prefix == "" {
			return r, true
		}
	}
	return RegistryConfig{}, false
}

// byPrefix finds the entry whose prefix is the registry part itself or
// the longest leading part of host/path.
func (c *RegistriesConf) byPrefix(host, path string) (endpoint, bool) {
	if c == nil {
		return endpoint{}, false
	}
	full := host + "/" + path
	best := -1
	for i, r := range c.Registries {
		p := strings.TrimSuffix(r.Prefix, "/")
		if p == "" || (p != host && !strings.HasPrefix(full, p+"/")) {
			continue
		}
		if best < 0 || len(p) > len(c.Registries[best].Prefix) {
			best = i
		}
	}
	if best < 0 {
		return endpoint{}, false
	}
	return endpointOf(c.Registries[best]), true
}

// splitRegistry separates the registry part of an image name, which is
// there when the first component has a dot or a port or is localhost.
func splitRegistry(image string) (host, path string) {
	first, rest, ok := strings.Cut(image, "/")
	if ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return first, rest
	}
	return "", image
}
