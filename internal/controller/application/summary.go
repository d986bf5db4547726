package application

import (
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/sync"
)

// podSpecPaths are where the kinds that run containers keep their pod
// spec.
var podSpecPaths = map[string][]string{
	"Pod":         {"spec"},
	"Deployment":  {"spec", "template", "spec"},
	"StatefulSet": {"spec", "template", "spec"},
	"DaemonSet":   {"spec", "template", "spec"},
	"ReplicaSet":  {"spec", "template", "spec"},
	"Job":         {"spec", "template", "spec"},
	"CronJob":     {"spec", "jobTemplate", "spec", "template", "spec"},
}

// imagesOf lists, sorted and once each, the container images the
// Application's objects run (status.summary.images): those of its
// workloads' containers and init containers. Hooks, which come and go
// with each sync, are left out.
func imagesOf(objs []*unstructured.Unstructured) []string {
	var images []string
	for _, obj := range objs {
		path, ok := podSpecPaths[obj.GetKind()]
		if !ok || sync.HookOf(obj).IsHook {
			continue
		}
		for _, field := range []string{"initContainers", "containers"} {
			containers, _, _ := unstructured.NestedSlice(obj.Object, append(slices.Clone(path), field)...)
			for _, c := range containers {
				container, _ := c.(map[string]any)
				if image, _ := container["image"].(string); image != "" {
					images = append(images, image)
				}
			}
		}
	}
	slices.Sort(images)
	return slices.Compact(images)
}
