package ui

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestParseGroupKinds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		input   string
		want    []metav1.GroupKind
		wantErr bool
	}{
		{name: "empty", input: " \n\n", want: nil},
		{name: "core and named groups", input: "ConfigMap\n apps/Deployment \n*/*\n",
			want: []metav1.GroupKind{{Kind: "ConfigMap"}, {Group: "apps", Kind: "Deployment"}, {Group: "*", Kind: "*"}}},
		{name: "core group written with a slash", input: "/Secret", want: []metav1.GroupKind{{Kind: "Secret"}}},
		{name: "no kind", input: "apps/", wantErr: true},
		{name: "two slashes", input: "a/b/c", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseGroupKinds(tc.input)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err == nil {
				again, _ := parseGroupKinds(formatGroupKinds(got))
				if diff := cmp.Diff(got, again); diff != "" {
					t.Errorf("formatted and read again (-first +again):\n%s", diff)
				}
			}
		})
	}
}

func TestParseClusterKinds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		input   string
		want    []v1alpha1.ClusterResourceRestrictionItem
		wantErr bool
	}{
		{name: "kinds and a name", input: "Namespace\nrbac.authorization.k8s.io/ClusterRole admin",
			want: []v1alpha1.ClusterResourceRestrictionItem{{Kind: "Namespace"}, {Group: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "admin"}}},
		{name: "too many words", input: "Namespace a b", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseClusterKinds(tc.input)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if err == nil && formatClusterKinds(got) != tc.input {
				t.Errorf("formatted as %q, want %q", formatClusterKinds(got), tc.input)
			}
		})
	}
}

func TestParseDestinations(t *testing.T) {
	for _, tc := range []struct {
		name                       string
		servers, names, namespaces []string
		want                       []v1alpha1.ApplicationDestination
		wantErr                    bool
	}{
		{name: "rows, empty ones dropped",
			servers: []string{"https://kubernetes.default.svc", "", ""}, names: []string{"", "prod", ""}, namespaces: []string{"web", " * ", ""},
			want: []v1alpha1.ApplicationDestination{{Server: "https://kubernetes.default.svc", Namespace: "web"}, {Name: "prod", Namespace: "*"}}},
		{name: "server and name both", servers: []string{"https://x"}, names: []string{"x"}, namespaces: []string{"a"}, wantErr: true},
		{name: "namespace alone", servers: []string{""}, names: []string{""}, namespaces: []string{"a"}, wantErr: true},
		{name: "short lists", servers: []string{"https://x", "https://y"}, namespaces: []string{"a"},
			want: []v1alpha1.ApplicationDestination{{Server: "https://x", Namespace: "a"}, {Server: "https://y"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseDestinations(tc.servers, tc.names, tc.namespaces)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestFormList(t *testing.T) {
	got := formList(" web, api\nbatch ,,")
	if diff := cmp.Diff([]string{"web", "api", "batch"}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestExpiresIn(t *testing.T) {
	for _, tc := range []struct {
		input   string
		want    int64
		wantErr bool
	}{
		{input: "", want: 0},
		{input: "24h", want: 86400},
		{input: "3600", want: 3600},
		{input: "500ms", wantErr: true},
		{input: "soon", wantErr: true},
	} {
		got, err := expiresIn(tc.input)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("expiresIn(%q) = %d, %v; want %d, error %v", tc.input, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestSetRole(t *testing.T) {
	tokens := []v1alpha1.JWTToken{{IssuedAt: 1, ID: "ci"}}
	base := func() *v1alpha1.AppProject {
		return &v1alpha1.AppProject{Spec: v1alpha1.AppProjectSpec{Roles: []v1alpha1.ProjectRole{{Name: "ci", Policies: []string{"old"}, JWTTokens: tokens}}}}
	}
	for _, tc := range []struct {
		name    string
		role    v1alpha1.ProjectRole
		isNew   bool
		want    []v1alpha1.ProjectRole
		wantErr bool
	}{
		{name: "edit keeps the tokens", role: v1alpha1.ProjectRole{Name: "ci", Policies: []string{"new"}},
			want: []v1alpha1.ProjectRole{{Name: "ci", Policies: []string{"new"}, JWTTokens: tokens}}},
		{name: "add", role: v1alpha1.ProjectRole{Name: "ops"}, isNew: true,
			want: []v1alpha1.ProjectRole{{Name: "ci", Policies: []string{"old"}, JWTTokens: tokens}, {Name: "ops"}}},
		{name: "add over an existing one", role: v1alpha1.ProjectRole{Name: "ci"}, isNew: true, wantErr: true},
		{name: "edit a role deleted meanwhile", role: v1alpha1.ProjectRole{Name: "gone"}, wantErr: true},
		{name: "no name", role: v1alpha1.ProjectRole{}, isNew: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := base()
			err := setRole(p, tc.role, tc.isNew)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if diff := cmp.Diff(tc.want, p.Spec.Roles); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// putWindow adds a window or replaces the one at the form's index; a
// window that selects nothing, or an index that is gone, is refused and
// changes nothing. The API checks the rest.
func TestPutWindow(t *testing.T) {
	first := v1alpha1.SyncWindow{Kind: "allow", Schedule: "0 6 * * *", Duration: "2h", Namespaces: []string{"prod"}}
	deny := v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h", Applications: []string{"*"}}
	for _, tc := range []struct {
		name    string
		index   string
		window  v1alpha1.SyncWindow
		want    v1alpha1.SyncWindows
		wantErr bool
	}{
		{name: "add", window: deny, want: v1alpha1.SyncWindows{first, deny}},
		{name: "edit", index: "0", window: deny, want: v1alpha1.SyncWindows{deny}},
		{name: "edit a window deleted meanwhile", index: "1", window: deny, want: v1alpha1.SyncWindows{first}, wantErr: true},
		{name: "not a number", index: "first", window: deny, want: v1alpha1.SyncWindows{first}, wantErr: true},
		{name: "applies to nothing", window: v1alpha1.SyncWindow{Kind: "deny", Schedule: "0 22 * * *", Duration: "1h"}, want: v1alpha1.SyncWindows{first}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &v1alpha1.AppProject{Spec: v1alpha1.AppProjectSpec{SyncWindows: v1alpha1.SyncWindows{first}}}
			err := putWindow(p, tc.index, tc.window)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error %v, want error: %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, p.Spec.SyncWindows); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
