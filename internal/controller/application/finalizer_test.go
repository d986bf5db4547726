package application

import (
	"context"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/clock"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// Deleting an Application's resources never waits inside a pass, and a
// resource whose kind the cluster no longer has counts as gone.
func TestDeleteResourcesDoesNotWaitAndSkipsVanishedKinds(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "finalize"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "settings", Namespace: "finalize",
		Annotations: map[string]string{v1alpha1.AnnotationTrackingID: "finalize:/ConfigMap:finalize/settings"},
		Finalizers:  []string{"capstan.dev/test-hold"}}}
	if _, err := cs.CoreV1().ConfigMaps("finalize").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	app := seedApp("finalize", "https://git.example.com/none.git", "finalize")
	app.Status.Resources = []v1alpha1.ResourceStatus{
		{Version: "v1", Kind: "ConfigMap", Namespace: "finalize", Name: "settings"},
		{Group: "gone.capstan.dev", Version: "v1", Kind: "Widget", Namespace: "finalize", Name: "w"},
	}
	r := &Reconciler{Client: directClient(t), Opts: Options{Namespace: controlPlane, Tracking: tracking.MethodAnnotation},
		Clusters: NewClusters(ctx, env.Config(), controlPlane, tracking.MethodAnnotation), Clock: clock.RealClock{}}
	target, err := r.Clusters.resolve(ctx, r.Client, app.Spec.Destination)
	if err != nil {
		t.Fatal(err)
	}

	// The ConfigMap's own finalizer holds it: the pass returns at once with
	// one object remaining, and again without deleting it twice.
	for pass := range 2 {
		began := time.Now()
		remaining, held, err := r.deleteResources(ctx, app, target, metav1.DeletePropagationForeground)
		if err != nil || remaining != 1 {
			t.Fatalf("deleteResources = %d, %v; want 1 remaining", remaining, err)
		}
		// Once it is being deleted, the finalizer holding it is named.
		if want := "ConfigMap finalize/settings (finalizers capstan.dev/test-hold)"; pass == 1 && (len(held) != 1 || held[0] != want) {
			t.Errorf("held = %q; want [%q]", held, want)
		}
		if d := time.Since(began); d > 10*time.Second {
			t.Errorf("deleteResources took %s: it waited for the deletion", d)
		}
	}
	// The garbage collector may be removing its own finalizer meanwhile.
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		live, err := cs.CoreV1().ConfigMaps("finalize").Get(ctx, "settings", metav1.GetOptions{})
		if err != nil || live.DeletionTimestamp == nil {
			t.Fatalf("the ConfigMap is not being deleted: %v", err)
		}
		live.Finalizers = nil
		_, err = cs.CoreV1().ConfigMaps("finalize").Update(ctx, live, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		remaining, _, err := r.deleteResources(ctx, app, target, metav1.DeletePropagationForeground)
		return remaining == 0, err
	})
	if err != nil {
		t.Fatalf("the resources never counted as gone: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("finalize").Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the ConfigMap is still there: %v", err)
	}
}

// Delete=false keeps an object when its Application is deleted;
// Delete=confirm keeps it until the deletion is approved.
func TestDeleteOptionsKeepOrHoldObjects(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := kubernetes.NewForConfigOrDie(env.Config())
	if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "delete-opts"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	for name, option := range map[string]string{"kept": "Delete=false", "held": "Delete=confirm"} {
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "delete-opts", Annotations: map[string]string{
			v1alpha1.AnnotationTrackingID:  "delete-opts:/ConfigMap:delete-opts/" + name,
			v1alpha1.AnnotationSyncOptions: option}}}
		if _, err := cs.CoreV1().ConfigMaps("delete-opts").Create(ctx, cm, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	app := seedApp("delete-opts", "https://git.example.com/none.git", "delete-opts")
	deleted := metav1.NewTime(time.Now().Add(-time.Minute))
	app.DeletionTimestamp = &deleted
	app.Status.Resources = []v1alpha1.ResourceStatus{
		{Version: "v1", Kind: "ConfigMap", Namespace: "delete-opts", Name: "kept"},
		{Version: "v1", Kind: "ConfigMap", Namespace: "delete-opts", Name: "held"},
	}
	r := &Reconciler{Client: directClient(t), Opts: Options{Namespace: controlPlane, Tracking: tracking.MethodAnnotation},
		Clusters: NewClusters(ctx, env.Config(), controlPlane, tracking.MethodAnnotation), Clock: clock.RealClock{}}
	target, err := r.Clusters.resolve(ctx, r.Client, app.Spec.Destination)
	if err != nil {
		t.Fatal(err)
	}

	if _, _, err := r.deleteResources(ctx, app, target, metav1.DeletePropagationForeground); err == nil || !strings.Contains(err.Error(), "ConfigMap delete-opts/held") {
		t.Fatalf("deleteResources = %v; want it to wait for the confirmation of the held ConfigMap", err)
	}
	app.Annotations = map[string]string{AnnotationDeletionApproved: time.Now().UTC().Format(time.RFC3339)}
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
		remaining, _, err := r.deleteResources(ctx, app, target, metav1.DeletePropagationForeground)
		return remaining == 0, err
	})
	if err != nil {
		t.Fatalf("the approved deletion did not finish: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("delete-opts").Get(ctx, "held", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the approved Delete=confirm ConfigMap is still there: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("delete-opts").Get(ctx, "kept", metav1.GetOptions{}); err != nil {
		t.Errorf("the Delete=false ConfigMap was deleted: %v", err)
	}
}
