package settings

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/funcr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// TestWatchFollowsChanges edits argocd-cm and argocd-secret on the real
// control plane: a good change replaces the snapshot and reaches the
// subscribers; a bad one keeps the last good snapshot and names its key.
func TestWatchFollowsChanges(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	const ns = "settings-watch"
	createNamespace(t, cs, ns)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMap, Namespace: ns}, Data: map[string]string{"timeout.reconciliation": "5s"}}
	cm, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// An unrelated ConfigMap is not read.
	other := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "unrelated", Namespace: ns}, Data: map[string]string{"timeout.reconciliation": "bad"}}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, other, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	w, err := Watch(ctx, env.Config(), ns)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Current().Resync; got != 5*time.Second {
		t.Fatalf("first read: Resync = %s, want 5s", got)
	}
	seen := make(chan *Settings, 10)
	w.Subscribe(func(_ context.Context, s *Settings) { seen <- s })

	cm.Data["timeout.reconciliation"] = "7s"
	if cm, err = cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new timeout", func() bool { return w.Current().Resync == 7*time.Second })
	select {
	case s := <-seen:
		if s.Resync != 7*time.Second {
			t.Errorf("subscriber saw Resync %s", s.Resync)
		}
	case <-time.After(10 * time.Second):
		t.Error("the subscriber was not told of the change")
	}

	cm.Data["timeout.reconciliation"] = "soon"
	if cm, err = cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the error", func() bool { return w.Err() != nil })
	if !strings.Contains(w.Err().Error(), "timeout.reconciliation") {
		t.Errorf("error %v does not name the key", w.Err())
	}
	if got := w.Current().Resync; got != 7*time.Second {
		t.Errorf("after a bad value: Resync = %s, want the last good 7s", got)
	}

	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: Secret, Namespace: ns}, Data: map[string][]byte{"webhook.github.secret": []byte("s3")}}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, secret, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm.Data["timeout.reconciliation"] = "9s"
	if _, err = cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the secret and the fixed value", func() bool {
		s := w.Current()
		return s.Value(Secret, "webhook.github.secret") == "s3" && s.Resync == 9*time.Second && w.Err() == nil
	})
}

func TestWatchRefusesABadStart(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	const ns = "settings-bad"
	createNamespace(t, cs, ns)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMap, Namespace: ns}, Data: map[string]string{"resource.customizations.health.apps_Deployment": "return {"}}
	if _, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Watch(ctx, env.Config(), ns); err == nil || !strings.Contains(err.Error(), "resource.customizations.health.apps_Deployment") {
		t.Errorf("error = %v, want one naming the key", err)
	}
}

func TestWatchWithoutObjectsIsDefault(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	w, err := Watch(ctx, env.Config(), "no-such-namespace")
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Current(); got.Resync != DefaultResync || got.Jitter != DefaultJitter || got.Health != nil {
		t.Errorf("snapshot without objects: %+v", got)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	err := wait.PollUntilContextTimeout(context.Background(), 20*time.Millisecond, 30*time.Second, true, func(context.Context) (bool, error) { return cond(), nil })
	if err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func createNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// A key set but not supported is logged once, however often the settings
// change afterwards; a key that parses badly is logged naming it.
func TestWatchLogs(t *testing.T) {
	var mu sync.Mutex
	var lines []string
	log := funcr.New(func(prefix, args string) {
		mu.Lock()
		defer mu.Unlock()
		lines = append(lines, args)
	}, funcr.Options{})
	count := func(s string) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, l := range lines {
			if strings.Contains(l, s) {
				n++
			}
		}
		return n
	}
	ctx, cancel := context.WithCancel(logr.NewContext(context.Background(), log))
	defer cancel()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	const ns = "settings-logs"
	createNamespace(t, cs, ns)
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: ConfigMap, Namespace: ns}, Data: map[string]string{"resource.respectRBAC": "normal"}}
	cm, err := cs.CoreV1().ConfigMaps(ns).Create(ctx, cm, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := Watch(ctx, env.Config(), ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"1m", "2m", "bad"} {
		cm.Data["timeout.reconciliation"] = v
		if cm, err = cs.CoreV1().ConfigMaps(ns).Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
		if v != "bad" {
			waitFor(t, "the change to "+v, func() bool { return w.Current().Value(ConfigMap, "timeout.reconciliation") == v })
		}
	}
	waitFor(t, "the error logged, naming the key", func() bool {
		return count(`settings not applied`) == 1 && count(`argocd-cm: timeout.reconciliation \"bad\"`) == 1
	})
	if n := count(`"key"="argocd-cm: resource.respectRBAC"`); n != 1 {
		t.Errorf("the unsupported key was logged %d times, want once:\n%s", n, strings.Join(lines, "\n"))
	}
}
