package imageupdater

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseWriteBack(t *testing.T) {
	const p = "argocd-image-updater.argoproj.io/"
	for _, tc := range []struct {
		name    string
		in      map[string]string
		want    WriteBack
		wantErr bool
	}{
		{"default", nil, WriteBack{Method: MethodArgoCD, Target: TargetSourceFile}, false},
		{"git", map[string]string{p + "write-back-method": "git"}, WriteBack{Method: MethodGit, Target: TargetSourceFile}, false},
		{"repocreds", map[string]string{p + "write-back-method": "git:repocreds"}, WriteBack{Method: MethodGit, Target: TargetSourceFile}, false},
		{"secret", map[string]string{p + "write-back-method": "git:secret:argocd/git-creds"}, WriteBack{Method: MethodGit, Secret: "argocd/git-creds", Target: TargetSourceFile}, false},
		{"secret without namespace", map[string]string{p + "write-back-method": "git:secret:creds"}, WriteBack{}, true},
		{"unknown method", map[string]string{p + "write-back-method": "svn"}, WriteBack{}, true},
		{"branch", map[string]string{p + "git-branch": "main"}, WriteBack{Method: MethodArgoCD, Target: TargetSourceFile, Base: "main", Branch: "main"}, false},
		{"base:target", map[string]string{p + "git-branch": "main:image-updater-{{.SHA256}}"}, WriteBack{Method: MethodArgoCD, Target: TargetSourceFile, Base: "main", Branch: "image-updater-{{.SHA256}}"}, false},
		{":target", map[string]string{p + "git-branch": ":updates"}, WriteBack{Method: MethodArgoCD, Target: TargetSourceFile, Branch: "updates"}, false},
		{"kustomization", map[string]string{p + "write-back-target": "kustomization"}, WriteBack{Method: MethodArgoCD, Target: TargetKustomization}, false},
		{"kustomization path", map[string]string{p + "write-back-target": "kustomization:../base"}, WriteBack{}, true},
		{"kustomization abs path", map[string]string{p + "write-back-target": "kustomization:/base"}, WriteBack{Method: MethodArgoCD, Target: TargetKustomization, Path: "/base"}, false},
		{"helmvalues path", map[string]string{p + "write-back-target": "helmvalues:values-prod.yaml"}, WriteBack{Method: MethodArgoCD, Target: TargetHelmValues, Path: "values-prod.yaml"}, false},
		{"custom file", map[string]string{p + "write-back-target": "overrides.yaml"}, WriteBack{Method: MethodArgoCD, Target: TargetSourceFile, Path: "overrides.yaml"}, false},
		{"repository", map[string]string{p + "git-repository": "https://git.example.com/org/app.git"}, WriteBack{Method: MethodArgoCD, Target: TargetSourceFile, Repository: "https://git.example.com/org/app.git"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseWriteBack(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestWriteBackFile(t *testing.T) {
	for _, tc := range []struct {
		wb         WriteBack
		path, want string
	}{
		{WriteBack{Target: TargetSourceFile}, "apps/web", "apps/web/.argocd-source-web.yaml"},
		{WriteBack{Target: TargetSourceFile}, "", ".argocd-source-web.yaml"},
		{WriteBack{Target: TargetSourceFile, Path: "/overrides/web.yaml"}, "apps/web", "overrides/web.yaml"},
		{WriteBack{Target: TargetKustomization}, "apps/web", "apps/web"},
		{WriteBack{Target: TargetKustomization, Path: "/base"}, "apps/web", "base"},
		{WriteBack{Target: TargetKustomization, Path: "overlay"}, "apps/web", "apps/web/overlay"},
		{WriteBack{Target: TargetHelmValues}, "charts/web", "charts/web/values.yaml"},
		{WriteBack{Target: TargetHelmValues, Path: "values-prod.yaml"}, "charts/web", "charts/web/values-prod.yaml"},
	} {
		if got := tc.wb.File(tc.path, "web"); got != tc.want {
			t.Errorf("%+v.File(%q) = %q, want %q", tc.wb, tc.path, got, tc.want)
		}
	}
}
