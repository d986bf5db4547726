package cluster

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	appsinformers "k8s.io/client-go/informers/apps/v1"
	coreinformers "k8s.io/client-go/informers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/intern"
)

// The kinds whose watch keeps, besides the metadata, what their built-in
// health check reads. A workload's health moves with its status, which its
// controller writes several times per rollout: with the status in memory,
// a pass that follows a rollout assesses it without reading the object. A
// Service's health needs its type and load balancer: with them in memory,
// a controller that starts assesses it without reading it.
var (
	deploymentsResource  = appsv1.SchemeGroupVersion.WithResource("deployments")
	statefulSetsResource = appsv1.SchemeGroupVersion.WithResource("statefulsets")
	daemonSetsResource   = appsv1.SchemeGroupVersion.WithResource("daemonsets")
	servicesResource     = corev1.SchemeGroupVersion.WithResource("services")
)

// viewed reports whether the watch of gvr keeps health views: each such
// kind has its informer in viewInformer and its view in keepHealth.
func viewed(gvr schema.GroupVersionResource) bool {
	return gvr == deploymentsResource || gvr == statefulSetsResource || gvr == daemonSetsResource || gvr == servicesResource
}

// healthViews holds, by resource, namespace and name, what the health
// check of each watched workload reads: its generation, the few fields of
// its spec the check reads, and its status. The watch's cache keeps the
// metadata as for any other kind.
//
// A view is made when the watch receives a version, and the cache takes
// the version's metadata when it gets to it, after the versions received
// before: a view may be ahead of the cache by as many versions as wait
// between them. So the last few views of each object are kept, and the
// one of the cached version is asked for.
type healthViews struct {
	mu    sync.Mutex
	views map[string][]*healthView // the last viewsKept, oldest first
}

// healthView is one version of a workload as its health check reads it: a
// few hundred bytes, where the typed object, its pod template included
// even when empty, takes kilobytes.
type healthView struct {
	// meta is the metadata of the version, the very Meta the watch's
	// cache takes of it: the view holds no copy of its own.
	meta *Meta
	body viewBody
}

// viewBody is what a kind's health check reads beyond the metadata; it
// makes the typed object back from it.
type viewBody interface {
	object(meta metav1.ObjectMeta) runtime.Object
}

type deploymentBody struct {
	replicas *int32
	paused   bool
	status   appsv1.DeploymentStatus
}

func (b *deploymentBody) object(meta metav1.ObjectMeta) runtime.Object {
	return &appsv1.Deployment{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"}, ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{Replicas: b.replicas, Paused: b.paused}, Status: b.status}
}

type statefulSetBody struct {
	replicas *int32
	strategy appsv1.StatefulSetUpdateStrategy
	status   appsv1.StatefulSetStatus
}

func (b *statefulSetBody) object(meta metav1.ObjectMeta) runtime.Object {
	return &appsv1.StatefulSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "StatefulSet"}, ObjectMeta: meta,
		Spec: appsv1.StatefulSetSpec{Replicas: b.replicas, UpdateStrategy: b.strategy}, Status: b.status}
}

type daemonSetBody struct {
	strategy appsv1.DaemonSetUpdateStrategy
	status   appsv1.DaemonSetStatus
}

func (b *daemonSetBody) object(meta metav1.ObjectMeta) runtime.Object {
	return &appsv1.DaemonSet{TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "DaemonSet"}, ObjectMeta: meta,
		Spec: appsv1.DaemonSetSpec{UpdateStrategy: b.strategy}, Status: b.status}
}

type serviceBody struct {
	typ     corev1.ServiceType
	ingress []corev1.LoadBalancerIngress
}

func (b *serviceBody) object(meta metav1.ObjectMeta) runtime.Object {
	return &corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"}, ObjectMeta: meta,
		Spec: corev1.ServiceSpec{Type: b.typ}, Status: corev1.ServiceStatus{LoadBalancer: corev1.LoadBalancerStatus{Ingress: b.ingress}}}
}

// viewsKept is how many versions of an object have a view at once. A
// pass takes the cached version and asks for its view a moment later, and
// a workload's rollout writes its status several times in quick
// succession: on a loaded machine a StatefulSet's view of version 309 was
// asked for when the watch had received 314, 317 and 318 since, and with
// three views kept the pass read the object. A pass asking for a view
// forgets the older ones, so a quiet object keeps one.
const viewsKept = 8

func viewKey(gvr schema.GroupVersionResource, namespace, name string) string {
	return gvr.Resource + "/" + namespace + "/" + name
}

func (h *healthViews) put(key string, v *healthView) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.views == nil {
		h.views = map[string][]*healthView{}
	}
	kept := h.views[key]
	if len(kept) == viewsKept {
		kept = append(kept[:0:0], kept[1:]...)
	}
	h.views[key] = append(kept, v)
}

// remove forgets the views of the object uid. Views are made as the watch
// receives versions, and removed when the cache has taken the deletion:
// those of an object of the same name made since are kept.
func (h *healthViews) remove(key string, gone *Meta) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := slices.DeleteFunc(h.views[key], func(v *healthView) bool { return v.meta.sameUID(gone) })
	if len(kept) == 0 {
		delete(h.views, key)
		return
	}
	h.views[key] = kept
}

// get returns the view of one version, if it is still kept, and forgets
// the older ones: the cache never goes back to them.
func (h *healthViews) get(key, resourceVersion string) *healthView {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.from(key, resourceVersion)
}

// settle forgets the views older than resourceVersion's, the version the
// cache held before the one it has just taken. Without it, the views of a
// workload that no pass asks for pile up to viewsKept: in a cold sync,
// each Deployment's rollout writes its status three or four times before
// its Application's next pass. The version before the cached one keeps
// its view, for a pass that took it from the cache a moment before the
// cache moved on.
func (h *healthViews) settle(key, resourceVersion string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.from(key, resourceVersion)
}

// from returns the view of resourceVersion and forgets the older ones; h.mu
// is held.
func (h *healthViews) from(key, resourceVersion string) *healthView {
	kept := h.views[key]
	for i, v := range kept {
		if v.meta.ResourceVersion == resourceVersion {
			if i > 0 {
				// A new array: the old one, resliced, would still hold
				// the older views and keep them alive.
				h.views[key] = slices.Clone(kept[i:])
			}
			return v
		}
	}
	return nil
}

// viewInformer watches the managed objects of gvr (a viewed kind) in
// namespace ns ("" for all) as whole objects, in protobuf, keeping of each
// the slimmed metadata in the cache, as for any kind, and its health view
// apart.
func (l *Live) viewInformer(ns string, gvr schema.GroupVersionResource) (cache.SharedIndexInformer, error) {
	indexers := cache.Indexers{ownerIndex: l.ownerKeys}
	selected := func(o *metav1.ListOptions) { o.LabelSelector = v1alpha1.LabelCapstanManaged + "=true" }
	var inf cache.SharedIndexInformer
	switch gvr {
	case deploymentsResource:
		inf = appsinformers.NewFilteredDeploymentInformer(l.typed, ns, 10*time.Hour, indexers, selected)
	case statefulSetsResource:
		inf = appsinformers.NewFilteredStatefulSetInformer(l.typed, ns, 10*time.Hour, indexers, selected)
	case daemonSetsResource:
		inf = appsinformers.NewFilteredDaemonSetInformer(l.typed, ns, 10*time.Hour, indexers, selected)
	case servicesResource:
		inf = coreinformers.NewFilteredServiceInformer(l.typed, ns, 10*time.Hour, indexers, selected)
	default:
		return nil, fmt.Errorf("watch %s: no health view for this kind", gvr)
	}
	if err := inf.SetTransform(l.keepHealth); err != nil {
		return nil, err
	}
	_, err := inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
		UpdateFunc: func(old, _ any) {
			if m := cachedMetadata(old); m != nil {
				l.health.settle(viewKey(gvr, m.Namespace, m.Name), m.ResourceVersion)
			}
		},
		DeleteFunc: func(obj any) {
			if m := cachedMetadata(obj); m != nil {
				l.health.remove(viewKey(gvr, m.Namespace, m.Name), m)
			}
		},
	})
	return inf, err
}

// keepHealth records the health view of a watched object of a viewed kind
// and leaves in the cache its metadata, slimmed.
func (l *Live) keepHealth(obj any) (any, error) {
	var (
		gvr  schema.GroupVersionResource
		meta *metav1.ObjectMeta
		body viewBody
	)
	switch o := obj.(type) {
	case *appsv1.Deployment:
		gvr, meta = deploymentsResource, &o.ObjectMeta
		o.Status.Conditions = keepDeploymentConditions(o.Status.Conditions)
		body = &deploymentBody{replicas: o.Spec.Replicas, paused: o.Spec.Paused, status: o.Status}
	case *appsv1.StatefulSet:
		gvr, meta = statefulSetsResource, &o.ObjectMeta
		o.Status.Conditions = keepStatefulSetConditions(o.Status.Conditions)
		body = &statefulSetBody{replicas: o.Spec.Replicas, strategy: o.Spec.UpdateStrategy, status: o.Status}
	case *appsv1.DaemonSet:
		gvr, meta = daemonSetsResource, &o.ObjectMeta
		o.Status.Conditions = keepDaemonSetConditions(o.Status.Conditions)
		body = &daemonSetBody{strategy: o.Spec.UpdateStrategy, status: o.Status}
	case *corev1.Service:
		gvr, meta = servicesResource, &o.ObjectMeta
		body = &serviceBody{typ: o.Spec.Type, ingress: o.Status.LoadBalancer.Ingress}
	default:
		return obj, nil
	}
	m := MetaOf(meta)
	l.health.put(viewKey(gvr, meta.Namespace, meta.Name), &healthView{meta: m, body: body})
	return m, nil
}

// Of a workload's conditions, the built-in health checks read the type and
// the reason (a Deployment past its progress deadline), never the message
// or the times: a view keeps the type, status and reason and lets the rest
// go, some 120 bytes per condition, most of it the message naming the
// workload's ReplicaSet. Most workloads of a cluster carry one of a
// handful of such lists (available and progressing, for the same
// reasons), so a view holds the list shared with the others that have it,
// not one of its own: its conditions are read, never modified.

func keepDeploymentConditions(cs []appsv1.DeploymentCondition) []appsv1.DeploymentCondition {
	return shareConditions(cs, func(c appsv1.DeploymentCondition) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{Type: c.Type, Status: c.Status, Reason: c.Reason}
	})
}

func keepStatefulSetConditions(cs []appsv1.StatefulSetCondition) []appsv1.StatefulSetCondition {
	return shareConditions(cs, func(c appsv1.StatefulSetCondition) appsv1.StatefulSetCondition {
		return appsv1.StatefulSetCondition{Type: c.Type, Status: c.Status, Reason: c.Reason}
	})
}

func keepDaemonSetConditions(cs []appsv1.DaemonSetCondition) []appsv1.DaemonSetCondition {
	return shareConditions(cs, func(c appsv1.DaemonSetCondition) appsv1.DaemonSetCondition {
		return appsv1.DaemonSetCondition{Type: c.Type, Status: c.Status, Reason: c.Reason}
	})
}

// conditionLists holds one copy of each list of conditions views keep, by
// its kind and content; like the shared strings, it starts afresh at
// intern.Limit.
var conditionLists struct {
	mu    sync.Mutex
	lists map[string]any
}

// shareConditions returns the shared list of the conditions cs, each
// trimmed by trim to the fields a view keeps.
func shareConditions[C any](cs []C, trim func(C) C) []C {
	if len(cs) == 0 {
		return nil
	}
	kept := make([]C, len(cs))
	for i, c := range cs {
		kept[i] = trim(c)
	}
	// The kind and the conditions in JSON: a condition's fields may hold
	// any byte, and two lists must not make one id.
	id, err := json.Marshal(kept)
	if err != nil {
		return kept
	}
	key := fmt.Sprintf("%T", cs) + string(id)
	conditionLists.mu.Lock()
	defer conditionLists.mu.Unlock()
	if l, ok := conditionLists.lists[key].([]C); ok {
		return l
	}
	if conditionLists.lists == nil || len(conditionLists.lists) >= intern.Limit {
		conditionLists.lists = make(map[string]any, 16)
	}
	conditionLists.lists[key] = kept
	return kept
}

// HealthView returns, from memory, what the built-in health check of a
// managed object reads, at the version the watch's cache holds of its
// metadata (resourceVersion): for a Deployment, StatefulSet or DaemonSet,
// its generation, the fields of its spec the check reads (replicas,
// paused, update strategy) and its status, its conditions without their
// messages and times, and none of its template; for
// a Service, its type and the ingress points of its load balancer.
// Kinds whose status is not watched have none, and a custom health check,
// which may read any field, must read the object instead.
func (l *Live) HealthView(gvr schema.GroupVersionResource, namespace, name, resourceVersion string) (*unstructured.Unstructured, bool) {
	if !viewed(gvr) {
		return nil, false
	}
	v := l.health.get(viewKey(gvr, namespace, name), resourceVersion)
	if v == nil {
		return nil, false
	}
	obj := v.body.object(metav1.ObjectMeta{Name: name, Namespace: namespace, UID: v.meta.GetUID(), ResourceVersion: v.meta.ResourceVersion,
		Generation: v.meta.Generation, DeletionTimestamp: v.meta.GetDeletionTimestamp()})
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, false
	}
	return &unstructured.Unstructured{Object: m}, true
}
