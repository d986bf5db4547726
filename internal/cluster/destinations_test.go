package cluster

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv"
)

func clusterSecret(name string, data map[string]string) corev1.Secret {
	s := corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "argocd", Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}},
		Data:       map[string][]byte{},
	}
	for k, v := range data {
		s.Data[k] = []byte(v)
	}
	return s
}

func TestResolve(t *testing.T) {
	inCluster := &rest.Config{Host: "https://10.0.0.1"}
	d, err := NewDestinations(inCluster, []corev1.Secret{
		clusterSecret("staging", map[string]string{"name": "staging", "server": "https://staging.example.com:6443", "config": `{"bearerToken":"t0k3n","tlsClientConfig":{"caData":"` + base64.StdEncoding.EncodeToString([]byte("CA")) + `"}}`}),
		clusterSecret("broken", map[string]string{"name": "broken", "server": "https://broken.example.com", "config": `{not json`}),
		clusterSecret("eks", map[string]string{"name": "eks", "server": "https://eks.example.com", "config": `{"execProviderConfig":{}}`}),
	})
	if err == nil || !strings.Contains(err.Error(), "argocd/broken") || !strings.Contains(err.Error(), "argocd/eks") {
		t.Errorf("err = %v; want the unreadable Secrets named", err)
	}
	tests := []struct {
		name       string
		dest       v1alpha1.ApplicationDestination
		wantHost   string
		wantErr    string
		wantNotHit bool
	}{
		{name: "in-cluster by server", dest: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc"}, wantHost: "https://10.0.0.1"},
		{name: "in-cluster by name", dest: v1alpha1.ApplicationDestination{Name: "in-cluster"}, wantHost: "https://10.0.0.1"},
		{name: "by name", dest: v1alpha1.ApplicationDestination{Name: "staging"}, wantHost: "https://staging.example.com:6443"},
		{name: "by server, trailing slash", dest: v1alpha1.ApplicationDestination{Server: "https://staging.example.com:6443/"}, wantHost: "https://staging.example.com:6443"},
		{name: "both set", dest: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Name: "in-cluster"}, wantErr: "both"},
		{name: "neither set", dest: v1alpha1.ApplicationDestination{Namespace: "x"}, wantErr: "neither"},
		{name: "unknown name", dest: v1alpha1.ApplicationDestination{Name: "prod"}, wantErr: "no cluster named prod", wantNotHit: true},
		{name: "unreadable Secret is not a destination", dest: v1alpha1.ApplicationDestination{Name: "broken"}, wantErr: "no cluster named broken", wantNotHit: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := d.Resolve(tt.dest)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v; want %q", err, tt.wantErr)
				}
				if errors.Is(err, ErrUnknownDestination) != tt.wantNotHit {
					t.Errorf("errors.Is(err, ErrUnknownDestination) = %v", !tt.wantNotHit)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Config.Host != tt.wantHost {
				t.Errorf("host = %s, want %s", c.Config.Host, tt.wantHost)
			}
		})
	}
	staging, _ := d.Resolve(v1alpha1.ApplicationDestination{Name: "staging"})
	if staging.Config.BearerToken != "t0k3n" || string(staging.Config.CAData) != "CA" {
		t.Errorf("staging credentials = %q %q", staging.Config.BearerToken, staging.Config.CAData)
	}
}

// TestSecondClusterIsReachedThroughItsSecret registers a second, real
// control plane with a cluster Secret and uses it.
func TestSecondClusterIsReachedThroughItsSecret(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	envs := make([]*testenv.Env, 2)
	for i := range envs {
		e, err := testenv.Start(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = e.Stop(!t.Failed()) }()
		envs[i] = e
	}
	home, remote := envs[0].Config(), envs[1].Config()
	config := fmt.Sprintf(`{"bearerToken":%q,"tlsClientConfig":{"caData":%q}}`, remote.BearerToken, base64.StdEncoding.EncodeToString(remote.CAData))
	d, err := NewDestinations(home, []corev1.Secret{clusterSecret("remote", map[string]string{"name": "remote", "server": remote.Host, "config": config})})
	if err != nil {
		t.Fatal(err)
	}
	c, err := d.Resolve(v1alpha1.ApplicationDestination{Name: "remote"})
	if err != nil {
		t.Fatal(err)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "only-remote"}}
	if _, err := kubernetes.NewForConfigOrDie(c.Config).CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create a namespace through the Secret's credentials: %v", err)
	}
	if _, err := kubernetes.NewForConfigOrDie(remote).CoreV1().Namespaces().Get(ctx, "only-remote", metav1.GetOptions{}); err != nil {
		t.Errorf("the namespace is not on the remote cluster: %v", err)
	}
	if _, err := kubernetes.NewForConfigOrDie(home).CoreV1().Namespaces().Get(ctx, "only-remote", metav1.GetOptions{}); err == nil {
		t.Error("the namespace landed on the home cluster")
	}
}

func TestFingerprintChangesWithCredentials(t *testing.T) {
	resolve := func(token string) *Cluster {
		t.Helper()
		d, err := NewDestinations(&rest.Config{Host: "https://10.0.0.1"}, []corev1.Secret{
			clusterSecret("staging", map[string]string{"name": "staging", "server": "https://staging.example.com", "config": `{"bearerToken":"` + token + `"}`}),
		})
		if err != nil {
			t.Fatal(err)
		}
		c, err := d.Resolve(v1alpha1.ApplicationDestination{Name: "staging"})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if resolve("one").Fingerprint() != resolve("one").Fingerprint() {
		t.Error("the same Secret gives two fingerprints")
	}
	if resolve("one").Fingerprint() == resolve("two").Fingerprint() {
		t.Error("a rotated token keeps the fingerprint: clients with the old token would stay")
	}
}
