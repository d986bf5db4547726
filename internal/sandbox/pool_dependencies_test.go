package sandbox

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/render"
)

// A worker renders a chart with the dependencies its caller fetched, and
// never fetches one itself, whether the map is empty or nil.
func TestPoolTakesFetchedDependencies(t *testing.T) {
	p := testPool(t, nil)
	dep := repo(t, map[string]string{
		"Chart.yaml":               "apiVersion: v2\nname: common\nversion: 1.0.0\n",
		"templates/configmap.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: common\n",
	})
	req := repo(t, map[string]string{
		"Chart.yaml": "apiVersion: v2\nname: app\nversion: 0.1.0\ndependencies:\n- {name: common, version: 1.0.0, repository: http://127.0.0.1:1/charts}\n",
	})
	key := render.Dependency{Name: "common", Repository: "http://127.0.0.1:1/charts", Version: "1.0.0"}.Key()

	for _, none := range []map[string]string{nil, {}} {
		req.Dependencies = none
		if _, err := p.Build(context.Background(), req); err == nil || !strings.Contains(err.Error(), "was not fetched") {
			t.Errorf("render with dependencies %v: err = %v; want it not fetched by the worker", none, err)
		}
	}
	req.Dependencies = map[string]string{key: filepath.Join(dep.Root, "app")}
	res, err := p.Build(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].GetName() != "common" {
		t.Errorf("objects %v, want the dependency's ConfigMap", res.Objects)
	}
}
