package render

import (
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// FuzzOverrideSource: no override file, however written, changes where the
// source comes from.
func FuzzOverrideSource(f *testing.F) {
	f.Add("helm:\n  parameters:\n  - name: image.tag\n    value: \"1\"\n    forcestring: true\n")
	f.Add("kustomize:\n  images: [nginx:1.27]\n")
	f.Add("path: /etc\nrepoURL: file:///\nchart: x\nhelm: null\n")
	f.Fuzz(func(t *testing.T, data string) {
		src := v1alpha1.ApplicationSource{RepoURL: "https://git.example.com/app.git", Path: "web", TargetRevision: "main",
			Helm: &v1alpha1.ApplicationSourceHelm{Parameters: []v1alpha1.HelmParameter{{Name: "a", Value: "1"}}}}
		out, err := overrideSource(src, []byte(data))
		if err != nil {
			return
		}
		if out.RepoURL != src.RepoURL || out.Path != src.Path || out.TargetRevision != src.TargetRevision || out.Chart != "" || out.Ref != "" {
			t.Fatalf("the file %q moved the source to %+v", data, out)
		}
	})
}
