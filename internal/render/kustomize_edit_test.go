package render

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/intstr"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestParseImage(t *testing.T) {
	tests := []struct {
		in   string
		want types.Image
	}{
		{"nginx:1.25", types.Image{Name: "nginx", NewTag: "1.25"}},
		{"nginx@sha256:abc", types.Image{Name: "nginx", Digest: "sha256:abc"}},
		{"nginx=registry.example.com/nginx:1.25", types.Image{Name: "nginx", NewName: "registry.example.com/nginx", NewTag: "1.25"}},
		{"nginx=registry.example.com/nginx@sha256:abc", types.Image{Name: "nginx", NewName: "registry.example.com/nginx", Digest: "sha256:abc"}},
		{"nginx=mirror/nginx", types.Image{Name: "nginx", NewName: "mirror/nginx"}},
		{"localhost:5000/app:2", types.Image{Name: "localhost:5000/app", NewTag: "2"}},
		{"localhost:5000/app", types.Image{Name: "localhost:5000/app"}},
		{"gcr.io/heptio-images/ks-guestbook-demo:0.2", types.Image{Name: "gcr.io/heptio-images/ks-guestbook-demo", NewTag: "0.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, parseImage(tt.in)); diff != "" {
				t.Errorf("parseImage(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func TestKustomizeEdit(t *testing.T) {
	const base = "resources: [a.yaml]\nnamePrefix: file-\ncommonLabels: {team: a}\ncommonAnnotations: {owner: a}\n" +
		"images:\n- name: nginx\n  newName: mirror/nginx\n  newTag: \"1\"\nreplicas:\n- name: web\n  count: 1\n"
	tests := []struct {
		name    string
		opts    v1alpha1.ApplicationSourceKustomize
		want    func(k *types.Kustomization)
		wantErr string
	}{
		{
			name: "prefix, suffix and namespace replace the file's",
			opts: v1alpha1.ApplicationSourceKustomize{NamePrefix: "app-", NameSuffix: "-x", Namespace: "ns"},
			want: func(k *types.Kustomization) { k.NamePrefix, k.NameSuffix, k.Namespace = "app-", "-x", "ns" },
		},
		{
			name: "an image tag keeps the file's new name",
			opts: v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"nginx:2", "redis@sha256:d"}},
			want: func(k *types.Kustomization) {
				k.Images = []types.Image{{Name: "nginx", NewName: "mirror/nginx", NewTag: "2"}, {Name: "redis", Digest: "sha256:d"}}
			},
		},
		{
			name: "replicas replace by name",
			opts: v1alpha1.ApplicationSourceKustomize{Replicas: v1alpha1.KustomizeReplicas{
				{Name: "web", Count: intstr.FromInt32(3)}, {Name: "worker", Count: intstr.FromString("2")},
			}},
			want: func(k *types.Kustomization) {
				k.Replicas = []types.Replica{{Name: "web", Count: 3}, {Name: "worker", Count: 2}}
			},
		},
		{
			name:    "replicas that are not a number",
			opts:    v1alpha1.ApplicationSourceKustomize{Replicas: v1alpha1.KustomizeReplicas{{Name: "web", Count: intstr.FromString("two")}}},
			wantErr: `kustomize replicas for web: count "two" is not a number`,
		},
		{
			name:    "a label the file sets",
			opts:    v1alpha1.ApplicationSourceKustomize{CommonLabels: map[string]string{"team": "b"}},
			wantErr: `common label "team" is already set`,
		},
		{
			name: "a label the file sets, forced",
			opts: v1alpha1.ApplicationSourceKustomize{CommonLabels: map[string]string{"team": "b", "env": "x"}, ForceCommonLabels: true},
			want: func(k *types.Kustomization) { k.CommonLabels = map[string]string{"team": "b", "env": "x"} },
		},
		{
			name: "labels without selector",
			opts: v1alpha1.ApplicationSourceKustomize{CommonLabels: map[string]string{"env": "x"}, LabelWithoutSelector: true, LabelIncludeTemplates: true},
			want: func(k *types.Kustomization) {
				k.Labels = []types.Label{{Pairs: map[string]string{"env": "x"}, IncludeTemplates: true}}
			},
		},
		{
			name:    "an annotation the file sets",
			opts:    v1alpha1.ApplicationSourceKustomize{CommonAnnotations: map[string]string{"owner": "b"}},
			wantErr: `common annotation "owner" is already set`,
		},
		{
			name: "annotations forced, without envsubst",
			opts: v1alpha1.ApplicationSourceKustomize{CommonAnnotations: map[string]string{"owner": "${ARGOCD_APP_NAME}"}, ForceCommonAnnotations: true},
			want: func(k *types.Kustomization) { k.CommonAnnotations = map[string]string{"owner": "${ARGOCD_APP_NAME}"} },
		},
		{
			name: "annotations with envsubst",
			opts: v1alpha1.ApplicationSourceKustomize{CommonAnnotations: map[string]string{"app": "$ARGOCD_APP_NAME/${UNKNOWN}"}, CommonAnnotationsEnvsubst: true},
			want: func(k *types.Kustomization) { k.CommonAnnotations["app"] = "guestbook/" },
		},
		{
			name: "patches with options",
			opts: v1alpha1.ApplicationSourceKustomize{Patches: v1alpha1.KustomizePatches{{
				Path:    "p.yaml",
				Target:  &v1alpha1.KustomizeSelector{KustomizeResID: v1alpha1.KustomizeResID{KustomizeGVK: v1alpha1.KustomizeGVK{Kind: "Deployment"}, Name: "web"}},
				Options: map[string]bool{"allowNameChange": true},
			}}},
			want: func(k *types.Kustomization) {
				p := types.Patch{Path: "p.yaml", Target: &types.Selector{}, Options: &types.PatchArgs{AllowNameChange: true}}
				p.Target.Kind, p.Target.Name = "Deployment", "web"
				k.Patches = []types.Patch{p}
			},
		},
		{
			name: "components, missing ones ignored when asked",
			opts: v1alpha1.ApplicationSourceKustomize{Components: []string{"../c", "../gone"}, IgnoreMissingComponents: true},
			want: func(k *types.Kustomization) { k.Components = []string{"../c"} },
		},
		{
			name: "components, missing ones kept for kustomize to report",
			opts: v1alpha1.ApplicationSourceKustomize{Components: []string{"../gone"}},
			want: func(k *types.Kustomization) { k.Components = []string{"../gone"} },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := kustomizeEdit{
				opts:   &tt.opts,
				env:    map[string]string{"ARGOCD_APP_NAME": "guestbook"},
				exists: func(rel string) bool { return rel == "../c" },
			}
			out, err := e.apply([]byte(base))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var want, got types.Kustomization
			if err := want.Unmarshal([]byte(base)); err != nil {
				t.Fatal(err)
			}
			tt.want(&want)
			if err := got.Unmarshal(out); err != nil {
				t.Fatalf("edited kustomization does not load: %v\n%s", err, out)
			}
			// Kustomize's types hold unexported fields; compare them as written.
			wantYAML, _ := yaml.Marshal(&want)
			gotYAML, _ := yaml.Marshal(&got)
			if diff := cmp.Diff(string(wantYAML), string(gotYAML)); diff != "" {
				t.Errorf("kustomization (-want +got):\n%s", diff)
			}
		})
	}
}
