package cluster

import (
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// deploymentsResource is the one kind whose watch keeps, besides the
// metadata, what its built-in health check reads. A Deployment's health
// moves with its status, which its controller writes several times per
// rollout: with the status in memory, a pass that follows a rollout
// assesses it without reading the Deployment.
var deploymentsResource = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}

// healthViews holds, by namespace/name, what the health check of each
// watched Deployment reads: its generation, replicas and paused flag, and
// its status. The watch's cache keeps the metadata as for any other kind.
//
// A view is made when the watch receives a version, and the cache takes
// the version's metadata when it gets to it, after the versions received
// before: a view may be ahead of the cache by as many versions as wait
// between them. So the last few views of each Deployment are kept, and
// the one of the cached version is asked for.
type healthViews struct {
	mu    sync.Mutex
	views map[string][]*deploymentView // the last viewsKept, oldest first
}

// deploymentView is one version of a Deployment as its health check reads
// it: a few hundred bytes, where the typed object, its pod template
// included even when empty, takes kilobytes.
type deploymentView struct {
	uid             types.UID
	resourceVersion string
	generation      int64
	deletion        *metav1.Time
	replicas        *int32
	paused          bool
	status          appsv1.DeploymentStatus
}

// viewsKept is how many versions of a Deployment have a view at once.
const viewsKept = 3

func (h *healthViews) put(namespace, name string, v *deploymentView) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.views == nil {
		h.views = map[string][]*deploymentView{}
	}
	key := namespace + "/" + name
	kept := h.views[key]
	if len(kept) == viewsKept {
		kept = append(kept[:0:0], kept[1:]...)
	}
	h.views[key] = append(kept, v)
}

func (h *healthViews) remove(namespace, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.views, namespace+"/"+name)
}

// get returns the view of one version, if it is still kept, and forgets
// the older ones: the cache never goes back to them.
func (h *healthViews) get(namespace, name, resourceVersion string) *deploymentView {
	h.mu.Lock()
	defer h.mu.Unlock()
	key := namespace + "/" + name
	kept := h.views[key]
	for i, v := range kept {
		if v.resourceVersion == resourceVersion {
			h.views[key] = kept[i:]
			return v
		}
	}
	return nil
}

// deploymentInformer watches the managed Deployments of namespace ns (""
// for all) as whole objects, in protobuf, keeping of each the slimmed
// metadata in the cache, as for any kind, and its health view apart.
func (l *Live) deploymentInformer(ns string) (cache.SharedIndexInformer, error) {
	selector := v1alpha1.LabelCapstanManaged + "=true"
	inf := appsinformers.NewFilteredDeploymentInformer(l.typed, ns, 10*time.Hour, cache.Indexers{ownerIndex: l.ownerKeys}, func(o *metav1.ListOptions) {
		o.LabelSelector = selector
	})
	if err := inf.SetTransform(l.keepDeploymentHealth); err != nil {
		return nil, err
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: func(obj any) {
		if m := cachedMetadata(obj); m != nil {
			l.health.remove(m.Namespace, m.Name)
		}
	}})
	return inf, err
}

// keepDeploymentHealth records the health view of a watched Deployment and
// leaves in the cache its metadata, slimmed.
func (l *Live) keepDeploymentHealth(obj any) (any, error) {
	d, ok := obj.(*appsv1.Deployment)
	if !ok {
		return obj, nil
	}
	l.health.put(d.Namespace, d.Name, &deploymentView{uid: d.UID, resourceVersion: d.ResourceVersion, generation: d.Generation,
		deletion: d.DeletionTimestamp, replicas: d.Spec.Replicas, paused: d.Spec.Paused, status: d.Status})
	return slim(&metav1.PartialObjectMetadata{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: d.ObjectMeta})
}

// HealthView returns, from memory, what the built-in health check of a
// managed object reads, at the version the watch's cache holds of its
// metadata (resourceVersion): for a Deployment, its generation, replicas,
// paused flag and status, and none of its template. Kinds whose status is
// not watched have none, and a custom health check, which may read any
// field, must read the object instead.
func (l *Live) HealthView(gvr schema.GroupVersionResource, namespace, name, resourceVersion string) (*unstructured.Unstructured, bool) {
	if gvr != deploymentsResource {
		return nil, false
	}
	v := l.health.get(namespace, name, resourceVersion)
	if v == nil {
		return nil, false
	}
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: namespace, UID: v.uid, ResourceVersion: v.resourceVersion,
			Generation: v.generation, DeletionTimestamp: v.deletion},
		Spec:   appsv1.DeploymentSpec{Replicas: v.replicas, Paused: v.paused},
		Status: v.status,
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(d)
	if err != nil {
		return nil, false
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetAPIVersion("apps/v1")
	u.SetKind("Deployment")
	return u, true
}
