package render

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHelmResolveValuePath(t *testing.T) {
	root := filepath.FromSlash("/repo")
	dir := filepath.Join(root, "charts", "app")
	refs := map[string]string{"values": filepath.FromSlash("/values-repo")}
	tests := []struct {
		name    string
		path    string
		want    string
		wantErr bool
	}{
		{name: "relative to the chart", path: "values-prod.yaml", want: "/repo/charts/app/values-prod.yaml"},
		{name: "up inside the repository", path: "../../envs/prod.yaml", want: "/repo/envs/prod.yaml"},
		{name: "absolute is from the repository root", path: "/envs/prod.yaml", want: "/repo/envs/prod.yaml"},
		{name: "ref", path: "$values/env/prod.yaml", want: "/values-repo/env/prod.yaml"},
		{name: "ref root itself", path: "$values", want: "/values-repo"},
		{name: "escape", path: "../../../etc/passwd", wantErr: true},
		{name: "absolute escape", path: "/../etc/passwd", wantErr: true},
		{name: "ref escape", path: "$values/../repo/secret.yaml", wantErr: true},
		{name: "unknown ref", path: "$other/x.yaml", wantErr: true},
		{name: "url", path: "https://example.com/values.yaml", wantErr: true},
		{name: "s3 url", path: "s3://bucket/values.yaml", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, got, err := resolveValuePath(root, dir, refs, tt.path)
			if (err != nil) != tt.wantErr {
				t.Fatalf("resolveValuePath(%q) error = %v, want error %v", tt.path, err, tt.wantErr)
			}
			if tt.wantErr {
				return
			}
			if diff := cmp.Diff(filepath.FromSlash(tt.want), got); diff != "" {
				t.Errorf("resolveValuePath(%q) (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestHelmPathInside(t *testing.T) {
	tests := []struct {
		dir, path string
		want      bool
	}{
		{"/repo", "/repo", true},
		{"/repo", "/repo/a/b", true},
		{"/repo", "/repo/..a", true},
		{"/repo", "/repository", false},
		{"/repo", "/", false},
		{"/repo", "/repo/../etc", false},
	}
	for _, tt := range tests {
		if got := pathInside(filepath.FromSlash(tt.dir), filepath.FromSlash(tt.path)); got != tt.want {
			t.Errorf("pathInside(%q, %q) = %v, want %v", tt.dir, tt.path, got, tt.want)
		}
	}
}
