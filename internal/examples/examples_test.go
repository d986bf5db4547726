package examples

import (
	"context"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// hook is a hook an example's sync must have run to success, named by
// the start of its name (a generateName hook's name ends with what the
// sync generated).
type hook struct {
	phase  v1alpha1.HookType
	prefix string
	// deleted: its delete policy removes it once it succeeded.
	deleted bool
}

// TestExampleApps syncs each example as an automated Application, as a
// user coming from Argo CD would create it, and waits for it to be Synced
// and Healthy with its hooks run.
func TestExampleApps(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	url, commit := serveExamples(t)
	examples := []struct {
		path        string
		sourceType  v1alpha1.ApplicationSourceType
		deployments []string
		hooks       []hook
	}{
		{path: "guestbook", sourceType: v1alpha1.ApplicationSourceTypeDirectory, deployments: []string{"guestbook-ui"}},
		{path: "helm-guestbook", sourceType: v1alpha1.ApplicationSourceTypeHelm, deployments: []string{"example-helm-guestbook-helm-guestbook"}},
		{path: "kustomize-guestbook", sourceType: v1alpha1.ApplicationSourceTypeKustomize, deployments: []string{"kustomize-guestbook-ui"}},
		{path: "jsonnet-guestbook", sourceType: v1alpha1.ApplicationSourceTypeDirectory, deployments: []string{"jsonnet-guestbook-ui"}},
		{path: "pre-post-sync", sourceType: v1alpha1.ApplicationSourceTypeDirectory, deployments: []string{"guestbook-ui"},
			hooks: []hook{{v1alpha1.HookTypePreSync, "before", true}, {v1alpha1.HookTypePostSync, "after", true}}},
		{path: "sync-waves", sourceType: v1alpha1.ApplicationSourceTypeDirectory, deployments: []string{"backend", "frontend"},
			hooks: []hook{{v1alpha1.HookTypePreSync, "upgrade-sql-schema-", false}, {v1alpha1.HookTypeSync, "maint-page-up-", false},
				{v1alpha1.HookTypeSync, "maint-page-down-", true}}},
		{path: "helm-hooks", sourceType: v1alpha1.ApplicationSourceTypeHelm, deployments: []string{"example-helm-hooks-web"},
			hooks: []hook{{v1alpha1.HookTypePreSync, "example-helm-hooks-before-", false}, {v1alpha1.HookTypePostSync, "example-helm-hooks-after-", true}}},
	}
	for _, ex := range examples {
		if err := cl.Create(context.Background(), exampleApp("example-"+ex.path, url, ex.path, "example-"+ex.path)); err != nil {
			t.Fatal(err)
		}
	}
	for _, ex := range examples {
		t.Run(ex.path, func(t *testing.T) {
			name := "example-" + ex.path
			app := waitSyncedHealthy(t, cl, name, commit)
			if app.Status.SourceType != ex.sourceType {
				t.Errorf("sourceType %s, want %s", app.Status.SourceType, ex.sourceType)
			}
			for _, d := range ex.deployments {
				if _, err := cs.AppsV1().Deployments(name).Get(context.Background(), d, metav1.GetOptions{}); err != nil {
					t.Errorf("Deployment %s: %v", d, err)
				}
			}
			for _, h := range ex.hooks {
				rr := hookResult(app.Status.OperationState, h)
				if rr == nil {
					t.Errorf("no %s hook %s* in the sync's results: %+v", h.phase, h.prefix, app.Status.OperationState.SyncResult.Resources)
					continue
				}
				if rr.HookPhase != v1alpha1.OperationSucceeded {
					t.Errorf("hook %s is %s: %s", rr.Name, rr.HookPhase, rr.Message)
				}
				_, err := cs.BatchV1().Jobs(name).Get(context.Background(), rr.Name, metav1.GetOptions{})
				if gone := apierrors.IsNotFound(err); gone != h.deleted || (err != nil && !gone) {
					t.Errorf("hook %s: deleted %v (%v), want deleted %v", rr.Name, gone, err, h.deleted)
				}
			}
		})
	}
}

// hookResult finds the result of h among an operation's results.
func hookResult(os *v1alpha1.OperationState, h hook) *v1alpha1.ResourceResult {
	for i, rr := range os.SyncResult.Resources {
		if rr.HookType == h.phase && rr.Kind == "Job" && strings.HasPrefix(rr.Name, h.prefix) {
			return &os.SyncResult.Resources[i]
		}
	}
	return nil
}
