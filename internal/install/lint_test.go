package install

import (
	"path/filepath"
	"testing"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
)

// TestChartLintClean runs `helm lint` through the Helm SDK on the chart with
// its defaults and with each plain manifest's values: no warning, no error.
func TestChartLintClean(t *testing.T) {
	dir := filepath.Join(env.Root, ChartDir)
	kv, err := chartutil.ParseKubeVersion(KubeVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range Variants {
		t.Run(v.File, func(t *testing.T) {
			linter := lint.AllWithKubeVersion(dir, v.Values, "argocd", kv)
			for _, m := range linter.Messages {
				if m.Severity > support.InfoSev {
					t.Error(m.Error())
				} else {
					t.Log(m.Error())
				}
			}
		})
	}
}
