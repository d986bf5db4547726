package ui

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestSyncFormRequest(t *testing.T) {
	cm, dep := "/ConfigMap/web/settings", "apps/Deployment/web/api"
	listed := []string{cm, dep}
	force := v1alpha1.SyncStrategyApply{Force: true}
	tests := []struct {
		name    string
		form    url.Values
		listed  []string
		want    opsSyncRequest
		wantErr string
	}{
		{name: "defaults sync everything", form: url.Values{"resource": {cm, dep}}, listed: listed, want: opsSyncRequest{}},
		{name: "no resources listed", form: url.Values{}, want: opsSyncRequest{}},
		{name: "one resource of two", form: url.Values{"resource": {dep}}, listed: listed,
			want: opsSyncRequest{Resources: []v1alpha1.SyncOperationResource{{Group: "apps", Kind: "Deployment", Namespace: "web", Name: "api"}}}},
		{name: "a resource no longer listed is refused", form: url.Values{"resource": {cm, "/Secret/web/gone"}}, listed: listed,
			wantErr: "Secret web/gone is not a resource of this application"},
		{name: "a cluster-wide resource no longer listed", form: url.Values{"resource": {"rbac.authorization.k8s.io/ClusterRole//reader"}}, listed: listed,
			wantErr: "rbac.authorization.k8s.io/ClusterRole reader is not a resource"},
		{name: "a resource of an application that has none left", form: url.Values{"resource": {cm}}, wantErr: "ConfigMap web/settings is not a resource"},
		{name: "a key that names nothing", form: url.Values{"resource": {"junk"}}, listed: listed, wantErr: `"junk" does not name a resource`},
		{name: "none selected", form: url.Values{}, listed: listed, wantErr: "select at least one"},
		{name: "options", listed: listed, form: url.Values{"resource": {cm, dep}, "prune": {"true"}, "dryRun": {"true"}, "revision": {" v2 "},
			"option": {"Validate=false", "Unknown=true", "ServerSideApply=true"}, "prunePropagationPolicy": {"orphan"}},
			want: opsSyncRequest{Revision: "v2", Prune: true, DryRun: true,
				SyncOptions: &opsSyncOptionList{Items: []string{"Validate=false", "ServerSideApply=true", "PrunePropagationPolicy=orphan"}}}},
		{name: "the default propagation is not sent", form: url.Values{"prunePropagationPolicy": {"foreground"}}, want: opsSyncRequest{}},
		{name: "bad propagation", form: url.Values{"prunePropagationPolicy": {"sideways"}}, wantErr: "prune propagation policy must be"},
		{name: "force", form: url.Values{"force": {"true"}},
			want: opsSyncRequest{Strategy: &v1alpha1.SyncStrategy{Hook: &v1alpha1.SyncStrategyHook{SyncStrategyApply: force}}}},
		{name: "apply only", form: url.Values{"applyOnly": {"true"}},
			want: opsSyncRequest{Strategy: &v1alpha1.SyncStrategy{Apply: &v1alpha1.SyncStrategyApply{}}}},
		{name: "apply only with force", form: url.Values{"applyOnly": {"true"}, "force": {"true"}},
			want: opsSyncRequest{Strategy: &v1alpha1.SyncStrategy{Apply: &force}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseSyncForm(tt.form).request(tt.listed)
			if err != nil || tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || tt.wantErr == "" {
					t.Fatalf("error %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("request (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeleteQuery(t *testing.T) {
	tests := []struct {
		cascade string
		want    url.Values
	}{
		{"foreground", url.Values{"cascade": {"true"}, "propagationPolicy": {"foreground"}}},
		{"background", url.Values{"cascade": {"true"}, "propagationPolicy": {"background"}}},
		{"none", url.Values{"cascade": {"false"}}},
		{"", nil},
		{"orphan", nil},
	}
	for _, tt := range tests {
		got, err := opsDeleteQuery(tt.cascade)
		if (err != nil) != (tt.want == nil) {
			t.Errorf("cascade %q: error %v", tt.cascade, err)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("cascade %q (-want +got):\n%s", tt.cascade, diff)
		}
	}
}

func TestParamsPatch(t *testing.T) {
	tests := []struct {
		name    string
		tool    string
		form    url.Values
		want    string
		wantErr bool
	}{
		{name: "kustomize", tool: "Kustomize", form: url.Values{"images": {"nginx=nginx:1.27\r\n\n  busybox:1.36 \n"}, "namePrefix": {" dev- "}, "nameSuffix": {""}},
			want: `{"spec":{"source":{"kustomize":{"images":["nginx=nginx:1.27","busybox:1.36"],"namePrefix":"dev-","nameSuffix":null}}}}`},
		{name: "kustomize cleared", tool: "Kustomize", form: url.Values{},
			want: `{"spec":{"source":{"kustomize":{"images":null,"namePrefix":null,"nameSuffix":null}}}}`},
		{name: "helm", tool: "Helm", form: url.Values{"values": {"a: 1\r\nb: 2\r\n"}, "rows": {"3"},
			"name-0": {"image.tag"}, "value-0": {"1.2"}, "string-0": {"true"}, "name-1": {""}, "value-1": {""}, "name-2": {" replicas "}, "value-2": {"3"}},
			want: `{"spec":{"source":{"helm":{"parameters":[{"name":"image.tag","value":"1.2","forceString":true},{"name":"replicas","value":"3"}],"values":"a: 1\nb: 2"}}}}`},
		{name: "helm cleared", tool: "Helm", form: url.Values{"rows": {"1"}},
			want: `{"spec":{"source":{"helm":{"parameters":null,"values":null}}}}`},
		{name: "helm value without a name", tool: "Helm", form: url.Values{"rows": {"1"}, "value-0": {"x"}}, wantErr: true},
		{name: "directory", tool: "", form: url.Values{}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := opsParamsPatch(tt.tool, tt.form)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			var g, w any
			_ = json.Unmarshal(got, &g)
			_ = json.Unmarshal([]byte(tt.want), &w)
			if diff := cmp.Diff(w, g); diff != "" {
				t.Errorf("patch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeployments(t *testing.T) {
	at := metav1.NewTime(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	src := v1alpha1.ApplicationSource{RepoURL: "https://git.example/a.git", Path: "app"}
	got := opsDeployments(v1alpha1.RevisionHistories{
		{ID: 1, Revision: "aaa", Source: src, DeployedAt: at},
		{ID: 3, Revisions: []string{"ccc", "ddd"}, Sources: v1alpha1.ApplicationSources{src, {RepoURL: "other"}}, DeployedAt: at},
		{ID: 2, Revision: "bbb", Source: src, DeployedAt: at},
	})
	var ids []int64
	var revs []string
	for _, d := range got {
		ids, revs = append(ids, d.ID), append(revs, d.Revision)
		if d.Source.RepoURL != src.RepoURL {
			t.Errorf("entry %d shows source %q, want %q", d.ID, d.Source.RepoURL, src.RepoURL)
		}
		if d.Current != (d.ID == 3) {
			t.Errorf("entry %d current = %v", d.ID, d.Current)
		}
	}
	if diff := cmp.Diff([]int64{3, 2, 1}, ids); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"ccc", "bbb", "aaa"}, revs); diff != "" {
		t.Errorf("revisions (-want +got):\n%s", diff)
	}
}

func TestOperationShown(t *testing.T) {
	sync := &v1alpha1.Operation{Sync: &v1alpha1.SyncOperation{Revision: "main"}}
	done := &v1alpha1.OperationState{Phase: v1alpha1.OperationSucceeded}
	running := &v1alpha1.OperationState{Phase: v1alpha1.OperationRunning}
	tests := []struct {
		name          string
		op            *v1alpha1.Operation
		state         *v1alpha1.OperationState
		wantRequested bool
		wantRunning   bool
	}{
		{name: "nothing yet"},
		{name: "requested", op: sync, wantRequested: true, wantRunning: true},
		{name: "requested after a finished one", op: sync, state: done, wantRequested: true, wantRunning: true},
		{name: "running", op: sync, state: running, wantRunning: true},
		{name: "finished", state: done},
	}
	for _, tt := range tests {
		app := &v1alpha1.Application{Operation: tt.op, Status: v1alpha1.ApplicationStatus{OperationState: tt.state}}
		v := opsOperation(app)
		if (v.Requested != nil) != tt.wantRequested || v.Running != tt.wantRunning {
			t.Errorf("%s: requested %v running %v, want %v %v", tt.name, v.Requested != nil, v.Running, tt.wantRequested, tt.wantRunning)
		}
	}
}

func TestShortRevision(t *testing.T) {
	for in, want := range map[string]string{
		"0123456789abcdef0123456789abcdef01234567": "0123456",
		"v1.2.3": "v1.2.3",
		"0123456789ABCDEF0123456789ABCDEF01234567": "0123456789ABCDEF0123456789ABCDEF01234567",
		"": "",
	} {
		if got := opsShort(in); got != want {
			t.Errorf("opsShort(%q) = %q, want %q", in, got, want)
		}
	}
	if got := opsFirstLine("\n subject\n\nbody\n"); got != "subject" {
		t.Errorf("opsFirstLine = %q", got)
	}
}

func TestOpsPagesParse(t *testing.T) {
	p, err := newPages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"app_ops_sync", "app_ops_history", "app_ops_delete", "app_ops_operation", "app_ops_params"} {
		if _, err := p.get(name); err != nil {
			t.Errorf("page %s: %v", name, err)
		}
	}
}

func TestSyncFlags(t *testing.T) {
	tests := []struct {
		op   v1alpha1.SyncOperation
		want string
	}{
		{v1alpha1.SyncOperation{}, ""},
		{v1alpha1.SyncOperation{DryRun: true, Prune: true, Resources: []v1alpha1.SyncOperationResource{{Kind: "ConfigMap", Name: "a"}},
			SyncOptions: v1alpha1.SyncOptions{"Validate=false"}}, "dry run, prune, 1 selected resources, Validate=false"},
	}
	for _, tt := range tests {
		if got := opsSyncFlags(&tt.op); got != tt.want {
			t.Errorf("opsSyncFlags(%+v) = %q, want %q", tt.op, got, tt.want)
		}
	}
}
