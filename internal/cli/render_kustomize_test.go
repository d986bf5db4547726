package cli

import (
	"bytes"
	"strings"
	"testing"
)

// capstan render takes the flags of argocd-cm's kustomize.buildOptions
// from --kustomize-build-options: --load-restrictor LoadRestrictionsNone
// lets a kustomization read a file of the repository outside its
// directory, which fails without it; a flag capstan does not honour is
// reported and has no effect.
func TestRenderTakesKustomizeBuildOptions(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"guestbook/kustomization.yaml": "configMapGenerator:\n  - name: generated\n    options: {disableNameSuffixHash: true}\n    files: [../shared/setting]\n",
		"shared/setting":               "from-shared",
	})
	app := writeApp(t, "https://git.invalid/apps.git", "guestbook")
	if _, err := runCapstan(t, "render", "-f", app, "--local", dir); err == nil || !strings.Contains(err.Error(), "application guestbook") {
		t.Errorf("render without the option: %v, want an error naming the Application", err)
	}

	cmd := NewRootCommand()
	var out, errOut bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errOut)
	cmd.SetArgs([]string{"render", "-f", app, "--local", dir, "--cache-dir", t.TempDir(),
		"--kustomize-build-options", "--load-restrictor LoadRestrictionsNone --enable-helm"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("render with the option: %v", err)
	}
	if !strings.Contains(out.String(), "setting: from-shared") {
		t.Errorf("the generated ConfigMap is missing:\n%s", out.String())
	}
	if !strings.Contains(errOut.String(), "--enable-helm") {
		t.Errorf("--enable-helm not reported as not supported; stderr:\n%s", errOut.String())
	}

	if _, err := runCapstan(t, "render", "-f", app, "--local", dir, "--kustomize-build-options", "--load-restrictor Everything"); err == nil || !strings.Contains(err.Error(), "--kustomize-build-options") {
		t.Errorf("an unreadable option: %v, want an error naming the flag", err)
	}
}
