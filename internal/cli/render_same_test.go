package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// facts are two apps that print what a render knows: a chart its release
// and the cluster's .Capabilities, a Jsonnet directory the build
// environment.
var facts = map[string]string{
	"chart/Chart.yaml": "apiVersion: v2\nname: facts\nversion: 0.1.0\n",
	"chart/templates/facts.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-facts
  namespace: {{ .Release.Namespace }}
data:
  kubeVersion: {{ .Capabilities.KubeVersion.Version | quote }}
  {{- if semverCompare ">=1.30-0" .Capabilities.KubeVersion.Version }}
  recent: "yes"
  {{- end }}
  appProjects: {{ .Capabilities.APIVersions.Has "argoproj.io/v1alpha1/AppProject" | quote }}
`,
	"env/main.jsonnet": `function(name, namespace, project, revision, short, repo, path, target) {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'env-facts' },
  data: { name: name, namespace: namespace, project: project, revision: revision,
          short: short, repo: repo, path: path, target: target },
}
`,
}

const factsApps = `apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: facts-helm, namespace: render-cp}
spec:
  project: default
  source: {repoURL: "@@REPO@@", targetRevision: main, path: chart}
  destination: {server: https://kubernetes.default.svc, namespace: facts}
  syncPolicy: {automated: {}, syncOptions: [CreateNamespace=true]}
---
apiVersion: argoproj.io/v1alpha1
kind: Application
metadata: {name: facts-env, namespace: render-cp}
spec:
  project: default
  source:
    repoURL: "@@REPO@@"
    targetRevision: main
    path: env
    directory:
      jsonnet:
        tlas:
        - {name: name, value: $ARGOCD_APP_NAME}
        - {name: namespace, value: $ARGOCD_APP_NAMESPACE}
        - {name: project, value: $ARGOCD_APP_PROJECT_NAME}
        - {name: revision, value: $ARGOCD_APP_REVISION}
        - {name: short, value: $ARGOCD_APP_REVISION_SHORT}
        - {name: repo, value: $ARGOCD_APP_SOURCE_REPO_URL}
        - {name: path, value: $ARGOCD_APP_SOURCE_PATH}
        - {name: target, value: $ARGOCD_APP_SOURCE_TARGET_REVISION}
  destination: {server: https://kubernetes.default.svc, namespace: facts}
  syncPolicy: {automated: {}, syncOptions: [CreateNamespace=true]}
`

// TestRenderMatchesController renders the same Applications with
// `capstan render` and with the controller of `capstan run`, from a
// repository whose URL carries a password: the objects are the same, the
// build environment is complete (project, revision) and holds no
// credential, and the chart sees the control plane's version and API
// versions in the controller as it sees the flags' in the CLI.
func TestRenderMatchesController(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cl := clusterClient(t)
	server := gitserver.NewHTTP(t, gitserver.WithBasicAuth("alice", "s3cret-pw"))
	repo := server.NewRepo(t, "facts")
	sha := repo.Commit(t, "main", facts, "facts")
	repoURL := strings.Replace(server.RepoURL("facts"), "://", "://alice:s3cret-pw@", 1)
	appsFile := filepath.Join(t.TempDir(), "apps.yaml")
	if err := os.WriteFile(appsFile, []byte(strings.ReplaceAll(factsApps, "@@REPO@@", repoURL)), 0o644); err != nil {
		t.Fatal(err)
	}
	apps, err := readApplications(appsFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, obj := range []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "render-cp"}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "argocd-cm", Namespace: "render-cp"}, Data: map[string]string{"timeout.reconciliation": "1h"}},
		apps[0], apps[1],
	} {
		if err := cl.Create(ctx, obj); err != nil {
			t.Fatal(err)
		}
	}

	// A process of its own: controller-runtime allows one controller of
	// a name per process, and TestRunSyncsAndTakesWebhooks runs one.
	controller := startReplica(t, "render", "render-cp")
	for _, app := range apps {
		got := &v1alpha1.Application{}
		err := wait.PollUntilContextTimeout(ctx, 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
			if err := cl.Get(ctx, client.ObjectKeyFromObject(app), got); err != nil {
				return false, err
			}
			return got.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced, nil
		})
		if err != nil {
			t.Fatalf("Application %s did not sync: %v; status %+v", app.Name, err, got.Status)
		}
	}
	if err := controller.stop(); err != nil {
		t.Error(err)
	}

	dc := discovery.NewDiscoveryClientForConfigOrDie(env.Config())
	version, err := dc.ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	out, err := runCapstan(t, "render", "-f", appsFile, "-o", "json", "--cache-dir", t.TempDir(),
		"--kube-version", version.GitVersion, "--api-versions", "argoproj.io/v1alpha1/AppProject")
	if err != nil {
		t.Fatalf("capstan render: %v", err)
	}
	var rendered []corev1.ConfigMap
	if err := json.Unmarshal([]byte(out), &rendered); err != nil {
		t.Fatal(err)
	}
	if len(rendered) != 2 {
		t.Fatalf("capstan render printed %d objects, want 2:\n%s", len(rendered), out)
	}
	for _, cm := range rendered {
		live := &corev1.ConfigMap{}
		if err := cl.Get(ctx, client.ObjectKey{Namespace: "facts", Name: cm.Name}, live); err != nil {
			t.Fatalf("the controller applied no ConfigMap %s printed by capstan render: %v", cm.Name, err)
		}
		if diff := cmp.Diff(live.Data, cm.Data); diff != "" {
			t.Errorf("ConfigMap %s: the controller applied (-) what capstan render did not print (+):\n%s", cm.Name, diff)
		}
	}

	want := map[string]map[string]string{
		"facts-helm-facts": {"kubeVersion": version.GitVersion, "recent": "yes", "appProjects": "true"},
		"env-facts": {"name": "facts-env", "namespace": "facts", "project": "default", "revision": sha, "short": sha[:7],
			"repo": server.RepoURL("facts"), "path": "env", "target": "main"},
	}
	for name, data := range want {
		live := &corev1.ConfigMap{}
		if err := cl.Get(ctx, client.ObjectKey{Namespace: "facts", Name: name}, live); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(data, live.Data); diff != "" {
			t.Errorf("ConfigMap %s the controller rendered (-want +got):\n%s", name, diff)
		}
	}
	if strings.Contains(out, "s3cret-pw") {
		t.Errorf("capstan render printed the repository's password:\n%s", out)
	}
}
