package imageupdater

import (
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// FuzzSetHelmValues: whatever a values file holds, the edit either fails
// or gives YAML in which the key reads back as the value, and doing it
// again changes nothing.
func FuzzSetHelmValues(f *testing.F) {
	f.Add("image:\n  tag: 1.0 # x\n", "1.20")
	f.Add("# c\nimage: {tag: '1'}\n", "yes")
	f.Add("", "v1: x")
	f.Add("image:\n  tag: \"a\\\"b\"\n", "#not a comment")
	f.Add("image: {tag: 0}\n", "ghcr.io/org/web:1.1.0")
	f.Add("image: {tag: 0}\n", "web@sha256:ab")
	f.Fuzz(func(t *testing.T, in, value string) {
		var valid any
		if yaml.Unmarshal([]byte(in), &valid) != nil {
			return // a file that does not decode as it is
		}
		params := []v1alpha1.HelmParameter{{Name: "image.tag", Value: value}}
		out, err := SetHelmValues([]byte(in), params)
		if err != nil {
			return
		}
		var doc struct {
			Image struct {
				Tag *string `yaml:"tag"`
			} `yaml:"image"`
		}
		if err := yaml.Unmarshal(out, &doc); err != nil {
			t.Fatalf("the edit of %q gave YAML that does not parse: %v\n%s", in, err, out)
		}
		if doc.Image.Tag == nil || *doc.Image.Tag != value {
			t.Fatalf("image.tag reads %v, want %q\n%s", doc.Image.Tag, value, out)
		}
		again, err := SetHelmValues(out, params)
		if err != nil || string(again) != string(out) {
			t.Fatalf("a second edit changed the file (%v):\n%s\n---\n%s", err, out, again)
		}
	})
}

// FuzzParseWriteBack: no annotation value makes a path that leaves the
// repository.
func FuzzParseWriteBack(f *testing.F) {
	f.Add("git:secret:argocd/creds", "main:image-updater-{{.SHA256}}", "kustomization:../base")
	f.Add("git", "", "helmvalues:/values.yaml")
	f.Fuzz(func(t *testing.T, method, branch, target string) {
		wb, err := ParseWriteBack(map[string]string{AnnotationWriteBackMethod: method, AnnotationGitBranch: branch, AnnotationWriteBackTarget: target})
		if err != nil {
			return
		}
		for _, src := range []string{"", "apps/web", "a/b/c"} {
			if f := wb.File(src, "web"); f == ".." || len(f) > 2 && f[:3] == "../" || len(f) > 0 && f[0] == '/' {
				t.Fatalf("target %q from source %q gives %q", target, src, f)
			}
		}
	})
}
