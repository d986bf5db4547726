package imageupdater

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// The kinds of credential source, the part before the first colon of a
// pull-secret annotation or a registry's credentials.
const (
	CredsPullSecret = "pullsecret" // pullsecret:<ns>/<name>: a dockerconfigjson Secret
	CredsSecret     = "secret"     // secret:<ns>/<name>#<field>: user:password in a Secret
	CredsEnv        = "env"        // env:<VAR>: user:password in an environment variable
	CredsExt        = "ext"        // ext:<path>: a script printing user:password
)

// DefaultExtTimeout bounds how long an ext: script may run.
const DefaultExtTimeout = 10 * time.Second

// CredentialSource says where a registry's user and password come from.
type CredentialSource struct {
	// Kind is one of the Creds* constants.
	Kind string
	// Namespace, Name and Field locate a Secret (pullsecret, secret).
	Namespace, Name, Field string
	// Env is the variable of env:.
	Env string
	// Path is the script of ext:.
	Path string
}

// ParseCredentialSource reads pullsecret:<ns>/<name>,
// secret:<ns>/<name>#<field>, env:<VAR> or ext:<absolute path>.
func ParseCredentialSource(v string) (CredentialSource, error) {
	kind, rest, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok || rest == "" {
		return CredentialSource{}, fmt.Errorf("credentials %q: want pullsecret:, secret:, env: or ext:", v)
	}
	src := CredentialSource{Kind: kind}
	switch kind {
	case CredsPullSecret, CredsSecret:
		ref := rest
		if kind == CredsSecret {
			if ref, src.Field, ok = strings.Cut(rest, "#"); !ok || src.Field == "" {
				return src, fmt.Errorf("credentials %q: want secret:<namespace>/<name>#<field>", v)
			}
		}
		if src.Namespace, src.Name, ok = strings.Cut(ref, "/"); !ok || src.Namespace == "" || src.Name == "" || strings.Contains(src.Name, "/") {
			return src, fmt.Errorf("credentials %q: want %s:<namespace>/<name>", v, kind)
		}
	case CredsEnv:
		src.Env = rest
	case CredsExt:
		if !filepath.IsAbs(rest) {
			return src, fmt.Errorf("credentials %q: the script's path must be absolute", v)
		}
		src.Path = rest
	default:
		return src, fmt.Errorf("credentials %q: unknown source %q, want pullsecret, secret, env or ext", v, kind)
	}
	return src, nil
}

// String is the source as written, which holds no secret.
func (s CredentialSource) String() string {
	switch s.Kind {
	case CredsPullSecret:
		return s.Kind + ":" + s.Namespace + "/" + s.Name
	case CredsSecret:
		return s.Kind + ":" + s.Namespace + "/" + s.Name + "#" + s.Field
	case CredsEnv:
		return s.Kind + ":" + s.Env
	}
	return s.Kind + ":" + s.Path
}

// Credential is a registry user and password.
type Credential struct {
	Username, Password string
}

// credentialFetcher reads credentials from their source.
type credentialFetcher struct {
	// secrets reads the Secrets of pullsecret: and secret:; nil refuses them.
	secrets client.Reader
	// extTimeout bounds an ext: script.
	extTimeout time.Duration
	// annotationScripts allows env: and ext: from annotations.
	annotationScripts bool
}

// origin says who named a credential source: the operator, in
// registries.conf, or whoever may annotate an Application.
type origin int

const (
	fromRegistriesConf origin = iota
	fromAnnotation
)

// fetch reads the credential of src for the registry named prefix (the
// host images are named with, which picks the entry of a
// dockerconfigjson).
func (f credentialFetcher) fetch(ctx context.Context, src CredentialSource, prefix string, o origin) (Credential, error) {
	if o == fromAnnotation && !f.annotationScripts && (src.Kind == CredsEnv || src.Kind == CredsExt) {
		return Credential{}, fmt.Errorf("credentials %s: %s: sources are refused in the pull-secret annotation unless the operator allows them (--image-updater-annotation-scripts of capstan run, --annotation-scripts of capstan image-updater); name them in registries.conf", src, src.Kind)
	}
	switch src.Kind {
	case CredsPullSecret, CredsSecret:
		return f.fromSecret(ctx, src, prefix, o)
	case CredsEnv:
		v, ok := os.LookupEnv(src.Env)
		if !ok {
			return Credential{}, fmt.Errorf("credentials %s: the variable is not set", src)
		}
		return splitUserPassword(src, v)
	case CredsExt:
		return f.runScript(ctx, src)
	}
	return Credential{}, fmt.Errorf("credentials %s: unknown source", src)
}

func (f credentialFetcher) fromSecret(ctx context.Context, src CredentialSource, prefix string, o origin) (Credential, error) {
	if f.secrets == nil {
		return Credential{}, fmt.Errorf("credentials %s: no access to Secrets", src)
	}
	var secret corev1.Secret
	if err := f.secrets.Get(ctx, client.ObjectKey{Namespace: src.Namespace, Name: src.Name}, &secret); err != nil {
		return Credential{}, fmt.Errorf("credentials %s: read Secret: %w", src, err)
	}
	if o == fromAnnotation && holdsOwnCredentials(&secret) {
		return Credential{}, fmt.Errorf("credentials %s: the Secret holds capstan's own credentials and is no image's pull secret", src)
	}
	if src.Kind == CredsSecret {
		v, ok := secret.Data[src.Field]
		if !ok {
			return Credential{}, fmt.Errorf("credentials %s: the Secret has no field %q", src, src.Field)
		}
		return splitUserPassword(src, string(v))
	}
	data, ok := secret.Data[corev1.DockerConfigJsonKey]
	if !ok {
		return Credential{}, fmt.Errorf("credentials %s: the Secret has no %s", src, corev1.DockerConfigJsonKey)
	}
	cred, err := dockerConfigCredential(data, prefix)
	if err != nil {
		return Credential{}, fmt.Errorf("credentials %s: %w", src, err)
	}
	return cred, nil
}

// holdsOwnCredentials says whether a Secret is one capstan keeps its own
// credentials in: a cluster, repository or repository-credentials Secret,
// or the settings Secret. An Application's annotations name the image,
// hence the registry the credential is sent to, so reading these for an
// annotation would hand a cluster's token to whoever may annotate an
// Application.
func holdsOwnCredentials(s *corev1.Secret) bool {
	if _, ok := s.Labels[v1alpha1.LabelSecretType]; ok {
		return true
	}
	return s.Name == "argocd-secret" || s.Name == "argocd-initial-admin-secret"
}

// dockerConfig is the content of a .dockerconfigjson.
type dockerConfig struct {
	Auths map[string]struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	} `json:"auths"`
}

// dockerConfigCredential picks the auths entry for the registry prefix.
// Entries may be written as a host, a URL, or Docker Hub's legacy
// https://index.docker.io/v1/.
func dockerConfigCredential(data []byte, prefix string) (Credential, error) {
	var cfg dockerConfig
	if err := json.Unmarshal(data, &cfg); err != nil {
		return Credential{}, fmt.Errorf("parse dockerconfigjson: %w", err)
	}
	want := registryHostAlias(prefix)
	for key, entry := range cfg.Auths {
		if registryHostAlias(key) != want {
			continue
		}
		if entry.Username != "" || entry.Password != "" {
			return Credential{Username: entry.Username, Password: entry.Password}, nil
		}
		raw, err := base64.StdEncoding.DecodeString(entry.Auth)
		if err != nil {
			return Credential{}, fmt.Errorf("auths entry %q: auth is not base64", key)
		}
		user, pass, ok := strings.Cut(string(raw), ":")
		if !ok {
			return Credential{}, fmt.Errorf("auths entry %q: auth is not user:password", key)
		}
		return Credential{Username: user, Password: pass}, nil
	}
	return Credential{}, fmt.Errorf("no auths entry for %s", prefix)
}

// registryHostAlias reduces an auths key or a registry prefix to a host,
// with Docker Hub's names reduced to docker.io.
func registryHostAlias(s string) string {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "https://"), "http://")
	s, _, _ = strings.Cut(s, "/")
	switch s {
	case "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com":
		return dockerHub
	}
	return s
}

// runScript runs an ext: script without arguments, under a timeout, and
// reads user:password from the first line it prints.
func (f credentialFetcher) runScript(ctx context.Context, src CredentialSource) (Credential, error) {
	timeout := f.extTimeout
	if timeout <= 0 {
		timeout = DefaultExtTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, src.Path)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.WaitDelay = time.Second
	if err := cmd.Run(); err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return Credential{}, fmt.Errorf("credentials %s: the script ran longer than %s", src, timeout)
		}
		return Credential{}, fmt.Errorf("credentials %s: %w: %s", src, err, firstLine(stderr.String(), 200))
	}
	line, _, _ := strings.Cut(stdout.String(), "\n")
	return splitUserPassword(src, strings.TrimSpace(line))
}

// splitUserPassword splits at the first colon. The value is a secret: it
// never appears in an error.
func splitUserPassword(src CredentialSource, v string) (Credential, error) {
	user, pass, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok || user == "" {
		return Credential{}, fmt.Errorf("credentials %s: the value is not user:password", src)
	}
	return Credential{Username: user, Password: pass}, nil
}

// firstLine is the first line of s, cut to at most n bytes.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	if len(s) > n {
		s = s[:n]
	}
	return s
}
