package application

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/gitserver"
)

// escalateYAML is a RoleBinding that names its own namespace, whatever the
// Application's destination says.
const escalateYAML = `apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: escalate
  namespace: kube-system
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: admin
subjects:
- kind: ServiceAccount
  name: default
  namespace: team-x-web
`

// leakYAML is a ConfigMap that names its own namespace.
const leakYAML = `apiVersion: v1
kind: ConfigMap
metadata:
  name: leak
  namespace: kube-system
data:
  a: b
`

// TestObjectsOutsideTheProjectStopTheWholeSync checks every rendered
// object against the project's destinations, not only the Application's
// destination: one object naming a namespace the project does not permit
// (outside its globs, or under a `!` exception) fails the sync with a
// condition naming it, and nothing of the Application is applied, not even
// its permitted objects.
func TestObjectsOutsideTheProjectStopTheWholeSync(t *testing.T) {
	cl := startController(t)
	cs := kubernetes.NewForConfigOrDie(env.Config())
	ctx := context.Background()
	srv := gitserver.NewHTTP(t, gitserver.WithBasicAuth("", ""))

	for _, tt := range []struct {
		app, namespace string
		destinations   []v1alpha1.ApplicationDestination
		outside        string // the offending manifest
	}{
		{
			app: "team-x-escape", namespace: "team-x-web",
			destinations: []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: "team-x-*"}},
			outside:      escalateYAML,
		},
		{
			app: "all-but-system", namespace: "anything-web",
			destinations: []v1alpha1.ApplicationDestination{
				{Server: "*", Namespace: "*"},
				{Server: "*", Namespace: "!kube-system"},
			},
			outside: leakYAML,
		},
	} {
		repo := srv.NewRepo(t, tt.app)
		repo.Commit(t, "main", map[string]string{
			"guestbook/settings.yaml": configMapYAML("settings", nil),
			"guestbook/outside.yaml":  tt.outside,
		}, "an object outside the project")
		repo.SetHead(t, "main")
		if _, err := cs.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: tt.namespace}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		project := &v1alpha1.AppProject{
			ObjectMeta: metav1.ObjectMeta{Name: tt.app, Namespace: controlPlane},
			Spec:       v1alpha1.AppProjectSpec{SourceRepos: []string{"*"}, Destinations: tt.destinations},
		}
		if err := cl.Create(ctx, project); err != nil {
			t.Fatal(err)
		}
		app := seedApp(tt.app, srv.RepoURL(tt.app), tt.namespace)
		app.Spec.Project = tt.app
		app.Spec.SyncPolicy.SyncOptions = nil
		if err := cl.Create(ctx, app); err != nil {
			t.Fatal(err)
		}
	}

	for _, tt := range []struct{ app, namespace, named string }{
		{"team-x-escape", "team-x-web", "RoleBinding kube-system/escalate"},
		{"all-but-system", "anything-web", "ConfigMap kube-system/leak"},
	} {
		waitFor(t, tt.app+": a condition naming "+tt.named, func(ctx context.Context) (bool, error) {
			return hasCondition(appStatus(t, cl, tt.app), v1alpha1.ApplicationConditionComparisonError, tt.named+" is not permitted"), nil
		})
		// Each pass checks every object before it applies any, so once the
		// violation is reported nothing has been or will be applied.
		app := appStatus(t, cl, tt.app)
		if app.Status.Sync.Status == v1alpha1.SyncStatusCodeSynced {
			t.Errorf("%s reports Synced with an object outside its project", tt.app)
		}
		if _, err := cs.CoreV1().ConfigMaps(tt.namespace).Get(ctx, "settings", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("%s: the permitted ConfigMap was applied from a sync that has an object outside the project: %v", tt.app, err)
		}
	}
	if _, err := cs.RbacV1().RoleBindings("kube-system").Get(ctx, "escalate", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the RoleBinding outside the project was applied: %v", err)
	}
	if _, err := cs.CoreV1().ConfigMaps("kube-system").Get(ctx, "leak", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the ConfigMap in the denied namespace was applied: %v", err)
	}
}
