package v1alpha1

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/yaml"
)

func TestDecodeGuestbookApplication(t *testing.T) {
	want := &Application{
		TypeMeta: metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{
			Name:      "guestbook",
			Namespace: "argocd",
			Annotations: map[string]string{
				"argocd-image-updater.argoproj.io/image-list":               "guestbook=registry.example.com/guestbook",
				"argocd-image-updater.argoproj.io/guestbook.helm.image-tag": ".image.tag",
				"argocd-image-updater.argoproj.io/guestbook.allow-tags":     `regexp:^2\.\d+\.\d+-SNAPSHOT$`,
			},
		},
		Spec: ApplicationSpec{
			Project: "default",
			Source: &ApplicationSource{
				RepoURL:        "https://github.com/argoproj/argocd-example-apps.git",
				TargetRevision: "HEAD",
				Path:           "guestbook",
			},
			Destination: ApplicationDestination{
				Server:    "https://kubernetes.default.svc",
				Namespace: "guestbook",
			},
			SyncPolicy: &SyncPolicy{
				Automated: &SyncPolicyAutomated{Prune: true, SelfHeal: true, AllowEmpty: false},
				SyncOptions: SyncOptions{
					"Validate=true",
					"CreateNamespace=true",
					"PrunePropagationPolicy=foreground",
					"PruneLast=true",
				},
			},
		},
	}

	manifest := readManifest(t, "application-guestbook.yaml")
	got := decodeStrict[Application](t, manifest)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("decoded Application (-want +got):\n%s", diff)
	}
	if diff := wireDiff(t, manifest, got); diff != "" {
		t.Errorf("round trip (-manifest +re-encoded):\n%s", diff)
	}
}

func TestDecodeApplication(t *testing.T) {
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, app *Application)
	}{
		{
			name: "multi-source with helm, kustomize and jsonnet",
			file: "application-full.yaml",
			check: func(t *testing.T, app *Application) {
				spec := app.Spec
				if !spec.HasMultipleSources() || len(spec.GetSources()) != 4 {
					t.Fatalf("GetSources() = %d sources, want 4", len(spec.GetSources()))
				}
				helm := spec.Sources[0].Helm
				wantParams := []HelmParameter{
					{Name: "controller.replicaCount", Value: "3"},
					{Name: "controller.image.tag", Value: "1.10", ForceString: true},
				}
				if diff := cmp.Diff(wantParams, helm.Parameters); diff != "" {
					t.Errorf("helm parameters (-want +got):\n%s", diff)
				}
				var values map[string]any
				if err := yaml.Unmarshal(helm.ValuesObject.Raw, &values); err != nil {
					t.Fatalf("valuesObject is not an object: %v", err)
				}
				limits := values["controller"].(map[string]any)["resources"].(map[string]any)["limits"]
				if diff := cmp.Diff(map[string]any{"cpu": "500m", "memory": "512Mi"}, limits); diff != "" {
					t.Errorf("valuesObject.controller.resources.limits (-want +got):\n%s", diff)
				}
				if got := spec.Sources[1].Ref; got != "values" {
					t.Errorf("sources[1].ref = %q, want values", got)
				}
				replicas := spec.Sources[2].Kustomize.Replicas
				wantReplicas := KustomizeReplicas{
					{Name: "api", Count: intstr.FromInt32(3)},
					{Name: "worker", Count: intstr.FromString("5")},
				}
				if diff := cmp.Diff(wantReplicas, replicas); diff != "" {
					t.Errorf("kustomize replicas (-want +got):\n%s", diff)
				}
				tlas := spec.Sources[3].Directory.Jsonnet.TLAs
				if diff := cmp.Diff([]JsonnetVar{{Name: "replicas", Value: "3", Code: true}}, tlas); diff != "" {
					t.Errorf("jsonnet tlas (-want +got):\n%s", diff)
				}
				if spec.SyncPolicy.IsAutomatedSyncEnabled() {
					t.Error("automated sync is enabled, want disabled by automated.enabled=false")
				}
				if got := *spec.SyncPolicy.Retry.Backoff.Factor; got != 2 {
					t.Errorf("retry.backoff.factor = %d, want 2", got)
				}
				if got := spec.GetRevisionHistoryLimit(); got != 3 {
					t.Errorf("GetRevisionHistoryLimit() = %d, want 3", got)
				}
				if got := app.Operation.Sync.SyncStrategy.Hook.Force; !got {
					t.Error("operation.sync.syncStrategy.hook.force = false, want true")
				}
				if got := app.Status.OperationState.Phase; !got.Completed() || !got.Successful() {
					t.Errorf("operationState.phase = %q, want a completed success", got)
				}
				if got := app.Status.Resources[0].SyncWave; got != -1 {
					t.Errorf("status.resources[0].syncWave = %d, want -1", got)
				}
			},
		},
		{
			name: "plugin with source hydrator",
			file: "application-plugin.yaml",
			check: func(t *testing.T, app *Application) {
				params := app.Spec.Source.Plugin.Parameters
				if params[1].Array == nil || len(params[1].Array) != 0 {
					t.Errorf("extra-args array = %#v, want empty and non-nil", params[1].Array)
				}
				if params[3].Map == nil || len(params[3].Map) != 0 {
					t.Errorf("labels map = %#v, want empty and non-nil", params[3].Map)
				}
				if got := app.Spec.SourceHydrator.HydrateTo.TargetBranch; got != "environments/prod-next" {
					t.Errorf("hydrateTo.targetBranch = %q", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			manifest := readManifest(t, tt.file)
			app := decodeStrict[Application](t, manifest)
			tt.check(t, app)
			if diff := wireDiff(t, manifest, app); diff != "" {
				t.Errorf("round trip (-manifest +re-encoded):\n%s", diff)
			}
		})
	}
}

func TestDecodeApplicationRejects(t *testing.T) {
	guestbook := readManifest(t, "application-guestbook.yaml")
	tests := []struct {
		name     string
		manifest string
	}{
		{
			name:     "unknown spec field",
			manifest: strings.Replace(guestbook, "  project: default", "  projekt: default", 1),
		},
		{
			name: "operation inside spec",
			manifest: guestbook + `  operation:
    sync:
      revision: HEAD
`,
		},
		{
			name:     "duplicate field",
			manifest: strings.Replace(guestbook, "  project: default", "  project: default\n  project: other", 1),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var app Application
			if err := yaml.UnmarshalStrict([]byte(tt.manifest), &app); err == nil {
				t.Error("strict decode succeeded, want an error")
			}
		})
	}
}

func TestApplicationSpecGetters(t *testing.T) {
	single := ApplicationSource{RepoURL: "https://example.com/single.git"}
	multi := ApplicationSources{{RepoURL: "https://example.com/a.git"}, {RepoURL: "https://example.com/b.git"}}
	limit := int64(3)
	tests := []struct {
		name        string
		spec        ApplicationSpec
		wantSources ApplicationSources
		wantSource  ApplicationSource
		wantLimit   int64
	}{
		{name: "no source", wantLimit: DefaultRevisionHistoryLimit},
		{
			name:        "single source",
			spec:        ApplicationSpec{Source: &single},
			wantSources: ApplicationSources{single},
			wantSource:  single,
			wantLimit:   DefaultRevisionHistoryLimit,
		},
		{
			name:        "sources win over source",
			spec:        ApplicationSpec{Source: &single, Sources: multi, RevisionHistoryLimit: &limit},
			wantSources: multi,
			wantSource:  multi[0],
			wantLimit:   3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.wantSources, tt.spec.GetSources()); diff != "" {
				t.Errorf("GetSources() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSource, tt.spec.GetSource()); diff != "" {
				t.Errorf("GetSource() (-want +got):\n%s", diff)
			}
			if got := tt.spec.GetRevisionHistoryLimit(); got != tt.wantLimit {
				t.Errorf("GetRevisionHistoryLimit() = %d, want %d", got, tt.wantLimit)
			}
		})
	}
}

func TestIsAutomatedSyncEnabled(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name   string
		policy *SyncPolicy
		want   bool
	}{
		{name: "no policy"},
		{name: "no automated", policy: &SyncPolicy{}},
		{name: "automated", policy: &SyncPolicy{Automated: &SyncPolicyAutomated{}}, want: true},
		{name: "enabled", policy: &SyncPolicy{Automated: &SyncPolicyAutomated{Enabled: &on}}, want: true},
		{name: "disabled", policy: &SyncPolicy{Automated: &SyncPolicyAutomated{Enabled: &off}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.policy.IsAutomatedSyncEnabled(); got != tt.want {
				t.Errorf("IsAutomatedSyncEnabled() = %v, want %v", got, tt.want)
			}
		})
	}
}
