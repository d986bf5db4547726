package render

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzRefuseRemote checks that any kustomization is checked without a
// panic, and that a URL written as a resource or a generator file is
// always refused.
func FuzzRefuseRemote(f *testing.F) {
	for _, seed := range []string{"http://127.0.0.1/x", "https://a/b", "git::https://a/b.git", "github.com/a/b", "a.yaml", "../base", "k=https://x"} {
		f.Add(seed, "resources: [a.yaml]\npatches:\n- path: "+seed+"\n")
	}
	f.Fuzz(func(t *testing.T, ref, doc string) {
		_ = refuseRemote("kustomization.yaml", []byte(doc), true)
		_ = refuseRemote("config.yaml", []byte(doc), false)
		if !isURL(ref) {
			return
		}
		quoted := strconv.Quote(ref)
		kustomizations := []string{"resources: [" + quoted + "]\n"}
		if !strings.Contains(ref, "=") {
			// files: is key=path, and the key may hold anything
			kustomizations = append(kustomizations, "configMapGenerator:\n- name: g\n  files: ["+quoted+"]\n")
		}
		for _, k := range kustomizations {
			if refuseRemote("kustomization.yaml", []byte(k), true) == nil {
				t.Errorf("kustomization %q is not refused", k)
			}
		}
	})
}

// TestRefuseRemoteAcrossLines holds what FuzzRefuseRemote found: a
// reference that spans lines is no inline document where kustomize
// expects a path, and is refused like any other URL.
func TestRefuseRemoteAcrossLines(t *testing.T) {
	for _, doc := range []string{
		"resources: [\"\\n://\"]\n",
		"resources: [\"a\\nhttps://x\"]\n",
		"configMapGenerator:\n- name: g\n  files: [\"\\nhttps://x\"]\n",
	} {
		if refuseRemote("kustomization.yaml", []byte(doc), true) == nil {
			t.Errorf("kustomization %q is not refused", doc)
		}
	}
	inline := "patchesStrategicMerge:\n- |\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n  data: {u: \"https://x\"}\n"
	if err := refuseRemote("kustomization.yaml", []byte(inline), true); err != nil {
		t.Errorf("an inline patch holding a URL as data is refused: %v", err)
	}
}
