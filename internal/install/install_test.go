package install

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// installValues are the test's values: a fast poll, so that a commit is
// seen without a webhook, and the Git server's credentials as a repository
// Secret.
const installValues = `
configs:
  cm:
    timeout.reconciliation: 2s
    timeout.reconciliation.jitter: 0s
  repositories:
    apps:
      url: %s
      username: capstan
      password: s3cret-pass
`

// optionalValues turn on the optional objects the API server can take
// without more CRDs, so that they too are shown to be accepted.
const optionalValues = `
controller:
  pdb:
    enabled: true
server:
  ingress:
    enabled: true
    tls: true
global:
  networkPolicy:
    create: true
    defaultDenyIngress: true
`

// narrowValues replace the chart's cluster-wide rules with rules that
// allow ConfigMaps and Namespaces only.
const narrowValues = `
controller:
  clusterRoleRules:
    enabled: true
    rules:
      - apiGroups: [""]
        resources: [configmaps, namespaces]
        verbs: ["*"]
`

// TestChartInstallRunsGitOps installs the chart with the Helm SDK, then
// runs capstan out of the cluster with the token of the chart's own
// ServiceAccount: an Application from a Git server syncs and prunes under
// exactly the chart's RBAC, and fails with a condition naming the
// forbidden resource under narrower cluster rules.
func TestChartInstallRunsGitOps(t *testing.T) {
	git := gitserver.NewHTTP(t)
	repo := git.NewRepo(t, "apps")
	repo.Commit(t, "main", map[string]string{
		"guestbook/config.yaml": configMapYAML("guestbook-config"),
		"guestbook/stale.yaml":  configMapYAML("guestbook-stale"),
		"guestbook/deploy.yaml": deploymentYAML("guestbook-ui"),
	}, "guestbook")
	repoURL := git.RepoURL("apps")

	// The namespace enforces the restricted Pod Security Standard, which
	// the chart's Pods must meet.
	cl := env.Client(t)
	restricted := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: controlPlane, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
	}}}
	if err := cl.Create(t.Context(), restricted); err != nil {
		t.Fatal(err)
	}
	values := fmt.Sprintf(installValues, repoURL)
	rel := helmInstall(t, chartValues(t, values, optionalValues))
	t.Logf("installed %s", describe(checkReleaseObjects(t, rel)))
	// kwok plays the kubelet: the Deployment becomes Available, so its
	// Pod (security context, probes, volumes) was admitted.
	waitFor(t, "the Deployment to be available", func(ctx context.Context) (bool, error) {
		var d appsv1.Deployment
		if err := cl.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: releaseName}, &d); err != nil {
			return false, err
		}
		return d.Status.AvailableReplicas == 1, nil
	})

	proc := startCapstan(t, serviceAccountKubeconfig(t, controlPlane, releaseName), controlPlane)

	if !t.Run("chart RBAC syncs and prunes", func(t *testing.T) {
		key := createApp(t, cl, "guestbook", repoURL, "guestbook")
		waitApp(t, cl, key, "synced and healthy", func(app *v1alpha1.Application) bool {
			return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && app.Status.Health.Status == "Healthy"
		})
		for _, name := range []string{"guestbook-config", "guestbook-stale"} {
			if err := cl.Get(t.Context(), client.ObjectKey{Namespace: "guestbook", Name: name}, &corev1.ConfigMap{}); err != nil {
				t.Errorf("ConfigMap %s: %v", name, err)
			}
		}
		repo.Commit(t, "main", map[string]string{"guestbook/stale.yaml": ""}, "remove a ConfigMap")
		waitFor(t, "the removed ConfigMap to be pruned", func(ctx context.Context) (bool, error) {
			err := cl.Get(ctx, client.ObjectKey{Namespace: "guestbook", Name: "guestbook-stale"}, &corev1.ConfigMap{})
			return apierrors.IsNotFound(err), client.IgnoreNotFound(err)
		})
	}) {
		return
	}

	t.Run("chart RBAC runs the API server", func(t *testing.T) {
		// Its first start wrote the admin password and certificate with
		// the chart's ServiceAccount; admin logs in over HTTPS and sees
		// the Application.
		var initial corev1.Secret
		waitFor(t, "argocd-initial-admin-secret", func(ctx context.Context) (bool, error) {
			err := cl.Get(ctx, client.ObjectKey{Namespace: controlPlane, Name: "argocd-initial-admin-secret"}, &initial)
			return err == nil, client.IgnoreNotFound(err)
		})
		https := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}}
		body, _ := json.Marshal(map[string]string{"username": "admin", "password": string(initial.Data["password"])})
		resp, err := https.Post("https://"+proc.api+"/api/v1/session", "application/json", bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		var session struct{ Token string }
		err = json.NewDecoder(resp.Body).Decode(&session)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil || session.Token == "" {
			t.Fatalf("log in as admin: %s, %v", resp.Status, err)
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+proc.api+"/api/v1/applications", nil)
		req.Header.Set("Authorization", "Bearer "+session.Token)
		resp, err = https.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var list v1alpha1.ApplicationList
		if err := json.NewDecoder(resp.Body).Decode(&list); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("list Applications: %s, %v", resp.Status, err)
		}
		if len(list.Items) != 1 || list.Items[0].Name != "guestbook" {
			t.Errorf("the API lists %d Applications, want guestbook alone", len(list.Items))
		}
	})

	t.Run("narrower RBAC fails clearly", func(t *testing.T) {
		helmUpgrade(t, chartValues(t, values, optionalValues, narrowValues))
		key := createApp(t, cl, "narrow", repoURL, "narrow")
		var msg string
		waitApp(t, cl, key, "a condition naming deployments", func(app *v1alpha1.Application) bool {
			msg = conditions(app)
			return strings.Contains(msg, "deployments") && strings.Contains(msg, "forbidden")
		})
		t.Logf("condition: %s", msg)
		if err := cl.Get(t.Context(), client.ObjectKey{Namespace: "narrow", Name: "guestbook-ui"}, &appsv1.Deployment{}); !apierrors.IsNotFound(err) {
			t.Errorf("the Deployment was created under rules that forbid it: %v", err)
		}
	})
}

// TestNamespaceInstallSyncsItsNamespace installs the namespace-scoped
// variant beside the cluster-wide one: with no ClusterRole, capstan watches
// and writes only its own namespace, which the chart's in-cluster cluster
// Secret names. An Application deploying there syncs; one deploying into
// another namespace, or a cluster-scoped object, fails with a condition
// naming the object, and nothing of it is applied.
func TestNamespaceInstallSyncsItsNamespace(t *testing.T) {
	cl := env.Client(t)
	ensureCRDs(t, cl)
	git := gitserver.NewHTTP(t)
	repo := git.NewRepo(t, "team")
	repo.Commit(t, "main", map[string]string{
		"guestbook/config.yaml": configMapYAML("team-config"),
		"outside/config.yaml":   configMapYAML("outside-config"),
		"outside/other.yaml":    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: elsewhere\n  namespace: default\n",
		"cluster/ns.yaml":       "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-made\n",
	}, "team")
	const ns, name = "team", "capstan-team"
	values := chartValues(t, fmt.Sprintf(installValues, git.RepoURL("team")))
	for k, v := range namespaceInstall().Values {
		values[k] = v
	}
	inst := action.NewInstall(helmConfigIn(t, ns))
	inst.ReleaseName, inst.Namespace, inst.CreateNamespace = name, ns, true
	if _, err := inst.RunWithContext(t.Context(), loadChart(t), values); err != nil {
		t.Fatalf("helm install: %v", err)
	}
	startCapstan(t, serviceAccountKubeconfig(t, ns, name), ns)

	app := newApp("team-guestbook", ns, git.RepoURL("team"), ns)
	app.Spec.SyncPolicy.SyncOptions = nil
	if err := cl.Create(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	waitApp(t, cl, client.ObjectKeyFromObject(app), "the Application synced and healthy", func(app *v1alpha1.Application) bool {
		return app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced && app.Status.Health.Status == "Healthy"
	})
	if err := cl.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "team-config"}, &corev1.ConfigMap{}); err != nil {
		t.Fatalf("the ConfigMap of the namespace-scoped install: %v", err)
	}

	for _, tc := range []struct{ app, path, want string }{
		{"team-outside", "outside", "ConfigMap default/elsewhere: namespace default is not managed on a cluster limited to namespaces team"},
		{"team-cluster", "cluster", "Namespace team-made: cluster-scoped objects are not managed on a cluster limited to namespaces team"},
	} {
		app := newApp(tc.app, ns, git.RepoURL("team"), ns)
		app.Spec.Source.Path = tc.path
		app.Spec.SyncPolicy.SyncOptions = nil
		if err := cl.Create(t.Context(), app); err != nil {
			t.Fatal(err)
		}
		waitApp(t, cl, client.ObjectKeyFromObject(app), "a condition naming "+tc.want, func(app *v1alpha1.Application) bool {
			return strings.Contains(conditions(app), tc.want)
		})
	}
	if err := cl.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: "outside-config"}, &corev1.ConfigMap{}); !apierrors.IsNotFound(err) {
		t.Errorf("a ConfigMap of the refused Application was applied: %v", err)
	}
	if err := cl.Get(t.Context(), client.ObjectKey{Name: "team-made"}, &corev1.Namespace{}); !apierrors.IsNotFound(err) {
		t.Errorf("the refused Namespace was created: %v", err)
	}
}

func configMapYAML(name string) string {
	return fmt.Sprintf("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  greeting: hello\n", name)
}

func deploymentYAML(name string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
spec:
  replicas: 1
  selector:
    matchLabels: {app: %[1]s}
  template:
    metadata:
      labels: {app: %[1]s}
    spec:
      containers:
      - name: ui
        image: registry.example/guestbook:v1
`, name)
}

// newApp is an Application in appNamespace syncing guestbook/ of repoURL
// into namespace automatically, with pruning, creating the namespace.
func newApp(name, appNamespace, repoURL, namespace string) *v1alpha1.Application {
	return &v1alpha1.Application{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: appNamespace},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: repoURL, TargetRevision: "main", Path: "guestbook"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: namespace},
			SyncPolicy: &v1alpha1.SyncPolicy{
				Automated:   &v1alpha1.SyncPolicyAutomated{Prune: true, SelfHeal: true},
				SyncOptions: []string{"CreateNamespace=true"},
			},
		},
	}
}

// createApp creates newApp in the control-plane namespace.
func createApp(t *testing.T, cl client.Client, name, repoURL, namespace string) client.ObjectKey {
	t.Helper()
	app := newApp(name, controlPlane, repoURL, namespace)
	if err := cl.Create(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	return client.ObjectKeyFromObject(app)
}

// ensureCRDs installs the CRDs the chart carries unless a release has.
func ensureCRDs(t *testing.T, cl client.Client) {
	t.Helper()
	err := cl.Get(t.Context(), client.ObjectKey{Name: "applications.argoproj.io"}, &apiextensionsv1.CustomResourceDefinition{})
	if err == nil {
		return
	}
	if err := testenv.InstallCRDs(t.Context(), env.Config(), filepath.Join(env.Root, ChartDir, "files", "crds")); err != nil {
		t.Fatal(err)
	}
}

// waitApp waits until the Application satisfies ok, reporting its status
// when it never does.
func waitApp(t *testing.T, cl client.Client, key client.ObjectKey, what string, ok func(*v1alpha1.Application) bool) {
	t.Helper()
	var app v1alpha1.Application
	err := poll(func(ctx context.Context) (bool, error) {
		if err := cl.Get(ctx, key, &app); err != nil {
			return false, err
		}
		return ok(&app), nil
	})
	if err != nil {
		t.Fatalf("waiting for Application %s to be %s: %v; sync %s, health %s, conditions: %s, operation: %+v",
			key, what, err, app.Status.Sync.Status, app.Status.Health.Status, conditions(&app), app.Status.OperationState)
	}
}

func waitFor(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := poll(cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

func poll(cond func(ctx context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(context.Background(), bounded)
	defer cancel()
	return wait.PollUntilContextCancel(ctx, 200*time.Millisecond, true, cond)
}

// conditions joins the Application's conditions and its operation's
// message, where a failed sync says why.
func conditions(app *v1alpha1.Application) string {
	var parts []string
	for _, c := range app.Status.Conditions {
		parts = append(parts, string(c.Type)+": "+c.Message)
	}
	if op := app.Status.OperationState; op != nil && op.Message != "" {
		parts = append(parts, "operation: "+op.Message)
	}
	return strings.Join(parts, "; ")
}
