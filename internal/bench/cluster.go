package bench

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/internal/localkube"
)

// controlNamespace is where capstan reads Applications and settings.
const controlNamespace = "argocd"

// fieldManager is the benchmark's own field manager for set-up objects.
const fieldManager = "capstan-bench"

// cluster is the local control plane with the clients the benchmark uses,
// all as the admin user so that none of its requests count as capstan's.
type cluster struct {
	*localkube.Cluster
	cfg *rest.Config
	cs  kubernetes.Interface
	dyn dynamic.Interface
	// meta asks for the metadata alone (applyLean).
	meta metadata.Interface
}

// startCluster starts a control plane in dir; with profiling, its API
// server serves its profiles (see profileAPIServer).
func startCluster(ctx context.Context, binDir, dir string, profiling bool) (*cluster, error) {
	lk, err := localkube.Up(ctx, localkube.Options{BinDir: binDir, Dir: dir, KillWithParent: true, Timeout: 3 * time.Minute, Profiling: profiling})
	if err != nil {
		return nil, fmt.Errorf("start the control plane: %w", err)
	}
	c := &cluster{Cluster: lk, cfg: lk.Config()}
	c.cfg.QPS, c.cfg.Burst = -1, 0
	// The observer's watches uncompressed, as capstan's: the API server
	// would gzip each of their events (see tuneClient in internal/cli).
	c.cfg.DisableCompression = true
	if c.cs, err = kubernetes.NewForConfig(c.cfg); err != nil {
		_ = lk.Down()
		return nil, err
	}
	if c.dyn, err = dynamic.NewForConfig(c.cfg); err != nil {
		_ = lk.Down()
		return nil, err
	}
	if c.meta, err = metadata.NewForConfig(c.cfg); err != nil {
		_ = lk.Down()
		return nil, err
	}
	return c, nil
}

// apply server-side applies obj as the benchmark's field manager.
func (c *cluster) apply(ctx context.Context, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	_, err := c.dyn.Resource(gvr).Namespace(obj.GetNamespace()).Apply(ctx, obj.GetName(), obj,
		metav1.ApplyOptions{FieldManager: fieldManager, Force: true})
	if err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

// applyLean server-side applies obj as manager, asking for the stored
// object's metadata alone, in protobuf: the least an answer can cost the
// API server and the client, for a loop that reads nothing of it.
func (c *cluster) applyLean(ctx context.Context, manager string, gvr schema.GroupVersionResource, obj *unstructured.Unstructured) error {
	data, err := obj.MarshalJSON()
	if err != nil {
		return err
	}
	force := true
	_, err = c.meta.Resource(gvr).Namespace(obj.GetNamespace()).Patch(ctx, obj.GetName(), types.ApplyPatchType, data,
		metav1.PatchOptions{FieldManager: manager, Force: &force})
	if err != nil {
		return fmt.Errorf("apply %s %s/%s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), err)
	}
	return nil
}

var gvrCRD = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}

// installCRDs applies every CRD in dir and waits until each is Established.
func (c *cluster) installCRDs(ctx context.Context, dir string) error {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("no CRDs in %s", dir)
	}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal(data, &obj.Object); err != nil {
			return fmt.Errorf("decode CRD %s: %w", f, err)
		}
		if err := c.apply(ctx, gvrCRD, obj); err != nil {
			return err
		}
		names = append(names, obj.GetName())
	}
	for _, name := range names {
		if err := c.waitEstablished(ctx, name); err != nil {
			return err
		}
	}
	return nil
}

func (c *cluster) waitEstablished(ctx context.Context, name string) error {
	err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		crd, err := c.dyn.Resource(gvrCRD).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, nil
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, cond := range conds {
			m, _ := cond.(map[string]any)
			if m["type"] == "Established" && m["status"] == "True" {
				return true, nil
			}
		}
		return false, nil
	})
	if err != nil {
		return fmt.Errorf("CRD %s not established: %w", name, err)
	}
	return nil
}

// createNamespace creates a namespace unless it exists.
func (c *cluster) createNamespace(ctx context.Context, name string) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if _, err := c.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", name, err)
	}
	return nil
}

// setPollInterval writes timeout.reconciliation into argocd-cm; capstan
// reads it once, at start.
func (c *cluster) setPollInterval(ctx context.Context, d time.Duration) error {
	patch := fmt.Appendf(nil, `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"argocd-cm","namespace":%q},"data":{"timeout.reconciliation":%q}}`,
		controlNamespace, d.String())
	_, err := c.cs.CoreV1().ConfigMaps(controlNamespace).Patch(ctx, "argocd-cm", types.ApplyPatchType, patch,
		metav1.PatchOptions{FieldManager: fieldManager, Force: new(true)})
	if err != nil {
		return fmt.Errorf("set timeout.reconciliation in ConfigMap %s/argocd-cm: %w", controlNamespace, err)
	}
	return nil
}
