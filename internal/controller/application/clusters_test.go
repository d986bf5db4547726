package application

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// A destination's clients are renewed when its Secret's credentials change
// and dropped when its Secret goes.
func TestClusterClientsFollowTheirSecret(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl := directClient(t)
	cfg := env.Config()
	// The test cluster again, under another name and a server URL of its
	// own (a trailing path keeps it apart from the in-cluster entry).
	server := cfg.Host + "/"
	secretFor := func(token string) *corev1.Secret {
		config, err := json.Marshal(map[string]any{"bearerToken": token,
			"tlsClientConfig": map[string]any{"caData": base64.StdEncoding.EncodeToString(cfg.CAData)}})
		if err != nil {
			t.Fatal(err)
		}
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "cluster-again", Namespace: controlPlane,
			Labels: map[string]string{v1alpha1.LabelSecretType: v1alpha1.SecretTypeCluster}},
			StringData: map[string]string{"name": "again", "server": server, "config": string(config)}}
	}
	secret := secretFor(cfg.BearerToken)
	if err := cl.Create(ctx, secret); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cl.Delete(context.Background(), secret) })
	c := NewClusters(ctx, cfg, controlPlane, tracking.MethodAnnotation)
	again := v1alpha1.ApplicationDestination{Name: "again"}

	first, err := c.resolve(ctx, cl, again)
	if err != nil {
		t.Fatal(err)
	}
	if same, _ := c.resolve(ctx, cl, again); same != first {
		t.Error("an unchanged Secret gave new clients")
	}
	rotated := secretFor(cfg.BearerToken + "-rotated")
	rotated.ResourceVersion = secret.ResourceVersion
	if err := cl.Update(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	second, err := c.resolve(ctx, cl, again)
	if err != nil || second == first || second.cluster.Config.BearerToken != cfg.BearerToken+"-rotated" {
		t.Fatalf("rotated credentials not used: %v", err)
	}
	if err := cl.Delete(ctx, rotated); err != nil {
		t.Fatal(err)
	}
	if _, err := c.resolve(ctx, cl, v1alpha1.ApplicationDestination{Name: "in-cluster"}); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for s := range c.targets {
		if s != "https://kubernetes.default.svc" {
			t.Errorf("the clients of %s stay after its Secret was deleted", s)
		}
	}
}
