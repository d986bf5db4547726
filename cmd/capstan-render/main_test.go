package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLinksNoRepositoryClient checks that the render worker links no
// client of a chart repository or registry: a render takes the charts its
// caller fetched and reaches no repository itself (docs/render.md), and
// each package linked is more of a binary for every worker to start.
func TestLinksNoRepositoryClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-tags", "kustomize_disable_go_plugin_support", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		for _, refused := range []string{"helm.sh/helm/v3/pkg/repo", "helm.sh/helm/v3/pkg/registry", "helm.sh/helm/v3/pkg/getter", "oras.land/"} {
			if strings.HasPrefix(pkg, refused) {
				t.Errorf("capstan-render links %s", pkg)
			}
		}
	}
}
