package cluster

import (
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
)

func version(rv int) *deploymentView {
	return &deploymentView{resourceVersion: fmt.Sprint(rv), status: appsv1.DeploymentStatus{ObservedGeneration: int64(rv)}}
}

// The cache's version may lag the last received: its view is found among
// the last few, the older ones are then dropped, and a version that fell
// out, or a Deployment gone, has none.
func TestHealthViewsFollowTheCachedVersion(t *testing.T) {
	var h healthViews
	for rv := 1; rv <= viewsKept+1; rv++ {
		h.put("ns", "web", version(rv))
	}
	if h.get("ns", "web", "1") != nil {
		t.Errorf("version 1 still has a view after %d newer ones", viewsKept)
	}
	if d := h.get("ns", "web", "3"); d == nil || d.status.ObservedGeneration != 3 {
		t.Fatalf("view of version 3 = %v", d)
	}
	if h.get("ns", "web", "2") != nil {
		t.Errorf("version 2 kept after version 3 was asked for")
	}
	h.put("ns", "web", version(viewsKept+2))
	if d := h.get("ns", "web", fmt.Sprint(viewsKept+2)); d == nil {
		t.Errorf("the newest version has no view")
	}
	if h.get("ns", "other", "3") != nil {
		t.Errorf("another Deployment has a view")
	}
	h.remove("ns", "web")
	if h.get("ns", "web", fmt.Sprint(viewsKept+2)) != nil {
		t.Errorf("a view is kept of a Deployment gone")
	}
}
