package cli

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func sampleApp() v1alpha1.Application {
	return v1alpha1.Application{
		TypeMeta:   metav1.TypeMeta{APIVersion: "argoproj.io/v1alpha1", Kind: "Application"},
		ObjectMeta: metav1.ObjectMeta{Name: "guestbook", Namespace: "argocd"},
		Spec: v1alpha1.ApplicationSpec{
			Project:     "default",
			Source:      &v1alpha1.ApplicationSource{RepoURL: "https://git.example/apps.git", Path: "guestbook", TargetRevision: "HEAD"},
			Destination: v1alpha1.ApplicationDestination{Server: "https://kubernetes.default.svc", Namespace: "web"},
			SyncPolicy:  &v1alpha1.SyncPolicy{Automated: &v1alpha1.SyncPolicyAutomated{Prune: true}},
		},
		Status: v1alpha1.ApplicationStatus{
			Sync:   v1alpha1.SyncStatus{Status: v1alpha1.SyncStatusCodeSynced, Revision: "53e28ff20cc530b9ada2173fbbd64d48338583ba"},
			Health: v1alpha1.AppHealthStatus{Status: v1alpha1.HealthStatusHealthy},
			Conditions: []v1alpha1.ApplicationCondition{
				{Type: "SyncError", Message: "a"}, {Type: "SyncError", Message: "b"}, {Type: "OrphanedResourceWarning", Message: "c"},
			},
			Resources: []v1alpha1.ResourceStatus{
				{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "web", Name: "ui", Status: v1alpha1.SyncStatusCodeSynced, Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}},
				{Version: "v1", Kind: "Service", Namespace: "web", Name: "ui", Status: v1alpha1.SyncStatusCodeSynced, Health: &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusHealthy}},
			},
			OperationState: &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded, SyncResult: &v1alpha1.SyncOperationResult{
				Revision: "53e28ff",
				Resources: v1alpha1.ResourceResults{
					{Version: "v1", Kind: "Service", Namespace: "web", Name: "ui", Status: v1alpha1.ResultCodeSynced, Message: "service/ui created"},
					{Group: "batch", Version: "v1", Kind: "Job", Namespace: "web", Name: "migrate", Status: v1alpha1.ResultCodeSynced, HookType: "PreSync", HookPhase: v1alpha1.OperationSucceeded, Message: "job completed"},
				},
			}},
		},
	}
}

func TestAppListTable(t *testing.T) {
	manual := sampleApp()
	manual.Name, manual.Spec.SyncPolicy, manual.Status.Conditions = "other", nil, nil
	var out bytes.Buffer
	if err := printAppList(&out, outputWide, []v1alpha1.Application{sampleApp(), manual}); err != nil {
		t.Fatal(err)
	}
	want := `NAME              CLUSTER                         NAMESPACE  PROJECT  STATUS  HEALTH   SYNCPOLICY  CONDITIONS                            REPO                          PATH       TARGET
argocd/guestbook  https://kubernetes.default.svc  web        default  Synced  Healthy  Auto-Prune  OrphanedResourceWarning,SyncError(2)  https://git.example/apps.git  guestbook  HEAD
argocd/other      https://kubernetes.default.svc  web        default  Synced  Healthy  Manual      <none>                                https://git.example/apps.git  guestbook  HEAD
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("app list (-want +got):\n%s", diff)
	}
	out.Reset()
	if err := printAppList(&out, outputName, []v1alpha1.Application{sampleApp()}); err != nil {
		t.Fatal(err)
	}
	if out.String() != "argocd/guestbook\n" {
		t.Errorf("-o name printed %q", out.String())
	}
}

// TestAppOutputRoundTrips checks that -o json and -o yaml print the
// Application as the API gave it.
func TestAppOutputRoundTrips(t *testing.T) {
	app := sampleApp()
	for _, format := range []string{outputJSON, outputYAML} {
		var out bytes.Buffer
		if err := printApp(&out, format, &app); err != nil {
			t.Fatal(err)
		}
		var back v1alpha1.Application
		var err error
		if format == outputJSON {
			err = json.Unmarshal(out.Bytes(), &back)
		} else {
			err = yaml.UnmarshalStrict(out.Bytes(), &back)
		}
		if err != nil {
			t.Fatalf("-o %s: %v", format, err)
		}
		if diff := cmp.Diff(app, back); diff != "" {
			t.Errorf("-o %s round trip (-want +got):\n%s", format, diff)
		}
	}
}

func TestAppGetSummary(t *testing.T) {
	app := sampleApp()
	var out bytes.Buffer
	if err := printApp(&out, outputWide, &app); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"Name:               argocd/guestbook\n",
		"Sync Policy:        Auto-Prune\n",
		"Sync Status:        Synced to HEAD (53e28ff)\n",
		"Health Status:      Healthy\n",
		"GROUP  KIND        NAMESPACE  NAME     STATUS     HEALTH   HOOK     MESSAGE\n",
		"       Service     web        ui       Synced     Healthy           service/ui created\n",
		"batch  Job         web        migrate  Succeeded           PreSync  job completed\n",
	} {
		if !strings.Contains(out.String(), line) {
			t.Errorf("app get lacks %q:\n%s", line, out.String())
		}
	}
}

func TestProgressPrintsChangesOnly(t *testing.T) {
	app := sampleApp()
	app.Status.OperationState = nil
	var out bytes.Buffer
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	p := newProgress(&out, func() time.Time { return at })
	if err := p.show(&app); err != nil {
		t.Fatal(err)
	}
	if err := p.show(&app); err != nil {
		t.Fatal(err)
	}
	app.Status.Resources[0].Health = &v1alpha1.HealthStatus{Status: v1alpha1.HealthStatusProgressing}
	if err := p.show(&app); err != nil {
		t.Fatal(err)
	}
	want := `TIMESTAMP             GROUP  KIND        NAMESPACE  NAME  STATUS  HEALTH   HOOK  MESSAGE
2026-01-02T03:04:05Z         Service     web        ui    Synced  Healthy
2026-01-02T03:04:05Z  apps   Deployment  web        ui    Synced  Healthy
2026-01-02T03:04:05Z  apps   Deployment  web        ui    Synced  Progressing
`
	got := regexp.MustCompile(` +\n`).ReplaceAllString(out.String(), "\n")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("progress (-want +got):\n%s", diff)
	}
}
