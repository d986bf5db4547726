package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/desired"
	"github.com/capstan-cd/capstan/internal/source"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// manifestResponse is Argo CD's ManifestResponse.
type manifestResponse struct {
	Manifests  []string `json:"manifests"`
	Namespace  string   `json:"namespace"`
	Server     string   `json:"server"`
	Revision   string   `json:"revision"`
	SourceType string   `json:"sourceType,omitempty"`
}

func (a *API) manifests(w http.ResponseWriter, r *http.Request) {
	app, ok := a.appFor(w, r, "get")
	if !ok {
		return
	}
	sources := app.Spec.GetSources()
	if rev := r.URL.Query().Get("revision"); rev != "" && len(sources) == 1 {
		sources[0].TargetRevision = rev
	}
	dst, ok := a.destinationFor(w, r, app)
	if !ok {
		return
	}
	got, err := a.render(r.Context(), dst, app, sources)
	if err != nil {
		writeBackendError(w, err, "application %s: render", app.Name)
		return
	}
	resp := manifestResponse{Manifests: []string{}, Namespace: app.Spec.Destination.Namespace, Server: dst.cluster.Server}
	if len(got.Revisions) > 0 {
		resp.Revision = got.Revisions[0]
	}
	if len(got.Types) > 0 {
		resp.SourceType = string(got.Types[0])
	}
	for _, obj := range masked(a.sensitiveAnnotations(), got.Objects...) {
		data, err := json.Marshal(obj.Object)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "encode %s: %v", tracking.Describe(obj), err)
			return
		}
		resp.Manifests = append(resp.Manifests, string(data))
	}
	writeJSON(w, http.StatusOK, resp)
}

// render builds what app's sources render to for its destination, through
// package desired as the controller does, its objects marked with the
// app's tracking.
func (a *API) render(ctx context.Context, dst *destination, app *v1alpha1.Application, sources []v1alpha1.ApplicationSource) (*desired.Desired, error) {
	b := a.Backends
	if b == nil || b.Fetcher == nil || b.Render == nil {
		return nil, errNoBackend
	}
	var secrets corev1.SecretList
	if err := a.Client.List(ctx, &secrets, client.InNamespace(a.Namespace), client.HasLabels{v1alpha1.LabelSecretType}); err != nil {
		return nil, fmt.Errorf("list repository Secrets: %w", err)
	}
	proj, err := a.projectNamed(ctx, app.Spec.Project)
	if err != nil {
		return nil, err
	}
	caps, err := dst.applier.Capabilities()
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", dst.cluster.Server, err)
	}
	st := a.settingsNow()
	builder := desired.Builder{Fetcher: b.Fetcher, Render: b.Render, Credentials: source.NewCredentials(secrets.Items), Kustomize: st.Kustomize, Project: proj}
	got, err := builder.Build(ctx, app, sources, desired.Cluster{
		KubeVersion: caps.KubeVersion, APIVersions: caps.APIVersions,
		Scope: dst.applier.Namespaced, Discovery: dst.applier.Discovery(),
	})
	if err != nil {
		return nil, err
	}
	for _, obj := range got.Objects {
		tracking.Mark(obj, app.Name, st.Tracking)
	}
	return got, nil
}

// resourceDiff is Argo CD's ResourceDiff: the states as JSON strings.
type resourceDiff struct {
	Group               string `json:"group"`
	Kind                string `json:"kind"`
	Namespace           string `json:"namespace"`
	Name                string `json:"name"`
	TargetState         string `json:"targetState"`
	LiveState           string `json:"liveState"`
	NormalizedLiveState string `json:"normalizedLiveState"`
	PredictedLiveState  string `json:"predictedLiveState,omitempty"`
	Hook                bool   `json:"hook,omitempty"`
	Modified            bool   `json:"modified"`
	ResourceVersion     string `json:"resourceVersion,omitempty"`
}

func (a *API) managedResources(w http.ResponseWriter, r *http.Request) {
	app, dst, ok := a.appWithDestination(w, r, "get")
	if !ok {
		return
	}
	got, err := a.render(r.Context(), dst, app, app.Spec.GetSources())
	if err != nil {
		writeBackendError(w, err, "application %s: render", app.Name)
		return
	}
	items, err := a.diffs(r.Context(), dst, app, got.Objects)
	if err != nil {
		writeKubeError(w, err, "application %s: live state", app.Name)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// diffs pairs each desired object, and each object the status lists, with
// its live state, masked together.
func (a *API) diffs(ctx context.Context, dst *destination, app *v1alpha1.Application, objs []*unstructured.Unstructured) ([]resourceDiff, error) {
	pairs := pairStates(objs, statusRefs(app))
	known := map[resourceRef]v1alpha1.ResourceStatus{}
	for _, rs := range app.Status.Resources {
		known[resourceRef{Group: rs.Group, Kind: rs.Kind, Namespace: rs.Namespace, Name: rs.Name}] = rs
	}
	sensitive := a.sensitiveAnnotations()
	policy := a.trackingPolicy()
	items := make([]resourceDiff, 0, len(pairs))
	for _, p := range pairs {
		live, err := dst.applier.Get(ctx, p.ref.stub())
		if err != nil {
			return nil, err
		}
		if live != nil && !ownedBy(live, app.Name, policy) {
			live = nil
		}
		key := p.ref
		key.Version = ""
		// The controller's verdict, from its server-side comparison, is
		// the one to show; an object it has not compared yet is compared
		// here.
		rs, compared := known[key]
		modified := rs.Status == v1alpha1.SyncStatusCodeOutOfSync
		if !compared {
			if modified, err = compare(ctx, p.target, live); err != nil {
				return nil, err
			}
		}
		shown := masked(sensitive, p.target, withoutManagedFields(live))
		d := resourceDiff{
			Group: p.ref.Group, Kind: p.ref.Kind, Namespace: p.ref.Namespace, Name: p.ref.Name,
			TargetState: jsonState(shown[0]), LiveState: jsonState(shown[1]), NormalizedLiveState: jsonState(shown[1]),
			Hook: rs.Hook, Modified: modified,
		}
		if live != nil {
			d.ResourceVersion = live.GetResourceVersion()
		}
		items = append(items, d)
	}
	return items, nil
}

// jsonState is an object as a JSON string, "null" for none, as Argo CD
// writes states.
func jsonState(obj *unstructured.Unstructured) string {
	if obj == nil {
		return "null"
	}
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return strconv.Quote(err.Error())
	}
	return string(data)
}
