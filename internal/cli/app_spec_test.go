package cli

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
	"k8s.io/utils/ptr"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// parseSpecFlags parses args as the flags of `app create`.
func parseSpecFlags(t *testing.T, args ...string) (*appSpecFlags, func(string) bool) {
	t.Helper()
	var f appSpecFlags
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	f.bind(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return &f, fs.Changed
}

func TestAppSpecFlags(t *testing.T) {
	for _, tc := range []struct {
		name    string
		start   v1alpha1.ApplicationSpec
		args    []string
		want    v1alpha1.ApplicationSpec
		wantErr bool
	}{{
		name: "create from flags",
		args: []string{"--repo", "https://git.example/r.git", "--path", "guestbook", "--revision", "main",
			"--dest-server", "https://kubernetes.default.svc", "--dest-namespace", "web", "--project", "p",
			"--sync-policy", "automated", "--auto-prune", "--self-heal", "--sync-option", "CreateNamespace=true"},
		want: v1alpha1.ApplicationSpec{
			Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example/r.git", Path: "guestbook", TargetRevision: "main"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "web"},
			Project:     "p",
			SyncPolicy: &v1alpha1.SyncPolicy{
				Automated:   &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
				SyncOptions: v1alpha1.SyncOptions{"CreateNamespace=true"},
			},
		},
	}, {
		name: "helm parameters replace by name",
		start: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", Helm: &v1alpha1.ApplicationSourceHelm{
			Parameters: []v1alpha1.HelmParameter{{Name: "a", Value: "1"}, {Name: "b", Value: "2"}}, ValueFiles: []string{"v.yaml"}}}},
		args: []string{"--helm-set", "a=10", "--helm-set-string", "c=x", "--values", "v.yaml", "--values", "prod.yaml", "--release-name", "rel"},
		want: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", Helm: &v1alpha1.ApplicationSourceHelm{
			Parameters: []v1alpha1.HelmParameter{{Name: "a", Value: "10"}, {Name: "b", Value: "2"}, {Name: "c", Value: "x", ForceString: true}},
			ValueFiles: []string{"v.yaml", "prod.yaml"}, ReleaseName: "rel"}}},
	}, {
		name: "kustomize images replace by image name",
		start: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", Kustomize: &v1alpha1.ApplicationSourceKustomize{
			Images: v1alpha1.KustomizeImages{"nginx:1.25", "reg:5000/app:1"}}}},
		args: []string{"--kustomize-image", "nginx:1.27", "--kustomize-image", "redis=redis:7", "--nameprefix", "p-"},
		want: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", Kustomize: &v1alpha1.ApplicationSourceKustomize{
			Images: v1alpha1.KustomizeImages{"nginx:1.27", "reg:5000/app:1", "redis=redis:7"}, NamePrefix: "p-"}}},
	}, {
		name:  "set changes only the flags given",
		start: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", Path: "p", TargetRevision: "v1"}, Project: "x", SyncPolicy: &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{SelfHeal: true}}},
		args:  []string{"--revision", "v2", "--auto-prune", "--revision-history-limit", "3"},
		want:  v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{RepoURL: "r", Path: "p", TargetRevision: "v2"}, Project: "x", SyncPolicy: &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{SelfHeal: true, Prune: true}}, RevisionHistoryLimit: ptr.To[int64](3)},
	}, {
		name:  "manual drops automation",
		start: v1alpha1.ApplicationSpec{SyncPolicy: &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}, SyncOptions: v1alpha1.SyncOptions{"A=1"}}},
		args:  []string{"--sync-policy", "manual", "--sync-option", "A=2"},
		want:  v1alpha1.ApplicationSpec{SyncPolicy: &v1alpha1.SyncPolicy{SyncOptions: v1alpha1.SyncOptions{"A=2"}}},
	}, {
		name:    "auto-prune without automation",
		args:    []string{"--auto-prune"},
		wantErr: true,
	}, {
		name:    "unknown sync policy",
		args:    []string{"--sync-policy", "sometimes"},
		wantErr: true,
	}, {
		name:    "source flags on a multi-source app",
		start:   v1alpha1.ApplicationSpec{Sources: v1alpha1.ApplicationSources{{RepoURL: "a"}, {RepoURL: "b"}}},
		args:    []string{"--path", "x"},
		wantErr: true,
	}} {
		t.Run(tc.name, func(t *testing.T) {
			f, changed := parseSpecFlags(t, tc.args...)
			app := &v1alpha1.Application{Spec: *tc.start.DeepCopy()}
			err := f.apply(app, changed)
			if (err != nil) != tc.wantErr {
				t.Fatalf("apply: %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, app.Spec); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKustomizeImageName(t *testing.T) {
	for in, want := range map[string]string{
		"nginx":                     "nginx",
		"nginx:1.2":                 "nginx",
		"reg:5000/app:1":            "reg:5000/app",
		"reg:5000/app":              "reg:5000/app",
		"app@sha256:abc":            "app",
		"nginx=other/nginx:1.2":     "nginx",
		"ghcr.io/o/app:v1@sha256:a": "ghcr.io/o/app",
	} {
		if got := kustomizeImageName(in); got != want {
			t.Errorf("kustomizeImageName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestUnsetFlags(t *testing.T) {
	app := &v1alpha1.Application{Spec: v1alpha1.ApplicationSpec{Source: &v1alpha1.ApplicationSource{
		Helm:      &v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"a.yaml", "b.yaml"}, Parameters: []v1alpha1.HelmParameter{{Name: "x"}, {Name: "y"}}},
		Kustomize: &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"nginx:1", "redis:7"}, NamePrefix: "p-", NameSuffix: "-s"},
	}}}
	u := unsetFlags{values: []string{"a.yaml"}, helmParams: []string{"y"}, kustomizeImages: []string{"nginx"}, namePrefix: true}
	if err := u.apply(app); err != nil {
		t.Fatal(err)
	}
	want := &v1alpha1.ApplicationSource{
		Helm:      &v1alpha1.ApplicationSourceHelm{ValueFiles: []string{"b.yaml"}, Parameters: []v1alpha1.HelmParameter{{Name: "x"}}},
		Kustomize: &v1alpha1.ApplicationSourceKustomize{Images: v1alpha1.KustomizeImages{"redis:7"}, NameSuffix: "-s"},
	}
	if diff := cmp.Diff(want, app.Spec.Source); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
}

func TestNewApplications(t *testing.T) {
	f, changed := parseSpecFlags(t, "--repo", "r", "--dest-namespace", "n")
	apps, err := newApplications([]string{"ns1/web"}, "", nil, f, changed, true)
	if err != nil {
		t.Fatal(err)
	}
	got := apps[0]
	if got.Name != "web" || got.Namespace != "ns1" || got.Spec.Project != "default" || got.Kind != "Application" ||
		got.Spec.Source.RepoURL != "r" || got.Finalizers[0] != v1alpha1.ResourcesFinalizer {
		t.Errorf("new application: %+v", got)
	}
	read := func(string) ([]*v1alpha1.Application, error) {
		return []*v1alpha1.Application{{Spec: v1alpha1.ApplicationSpec{Project: "p", Source: &v1alpha1.ApplicationSource{RepoURL: "file", Path: "x"}}}}, nil
	}
	apps, err = newApplications([]string{"named"}, "app.yaml", read, f, changed, false)
	if err != nil {
		t.Fatal(err)
	}
	if got := apps[0]; got.Name != "named" || got.Spec.Project != "p" || got.Spec.Source.RepoURL != "r" || got.Spec.Source.Path != "x" {
		t.Errorf("flags over a file: %+v", got)
	}
	if _, err := newApplications(nil, "", nil, f, changed, false); err == nil {
		t.Error("created an Application without a name or a file")
	}
}
