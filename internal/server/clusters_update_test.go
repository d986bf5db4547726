package server

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func TestMergeClusterUpdate(t *testing.T) {
	shard := int64(3)
	stored := clusterFields{
		Server: "https://a:6443", Name: "a", Namespaces: []string{"x"}, Project: "team",
		Config: map[string]any{"bearerToken": "tok"}, Labels: map[string]string{"env": "prod"},
		Annotations: map[string]string{"owner": "ops"}, Shard: &shard,
	}
	update := clusterFields{Server: "ignored", Name: "b", Labels: map[string]string{"tier": "1"}, ClusterResources: true}
	tests := []struct {
		name    string
		fields  []string
		want    clusterFields
		wantErr string
	}{
		{name: "name only", fields: []string{"name"}, want: func() clusterFields { c := stored; c.Name = "b"; return c }()},
		{
			name: "labels replaced, namespaces, project and shard cleared", fields: []string{"labels", "namespaces", "project", "shard", "clusterResources"},
			want: func() clusterFields {
				c := stored
				c.Labels, c.Namespaces, c.Project, c.Shard, c.ClusterResources = map[string]string{"tier": "1"}, nil, "", nil, true
				return c
			}(),
		},
		{name: "unknown field", fields: []string{"name", "server"}, wantErr: `updatedFields: "server" is not a field`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := mergeClusterUpdate(stored, update, tt.fields)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestClusterUpdatedFields updates a cluster field by field through the
// API, by server and by name: the named fields change, the others and
// the credentials stay; moving a cluster into a project needs the right
// there.
func TestClusterUpdatedFields(t *testing.T) {
	e := newResEnv(t, grant{"mover", "clusters", "update", "team-a/*"})
	const server = "https://fields.example:6443"
	create := map[string]any{"server": server, "name": "fields", "namespaces": []string{"a"}, "project": "team-a",
		"labels": map[string]string{"env": "prod"}, "annotations": map[string]string{"owner": "ops"}, "shard": 1,
		"config": map[string]any{"bearerToken": "tok-keep", "tlsClientConfig": map[string]any{"caData": "Q0E="}}}
	if code, out := e.do(t, "admin", "POST", "/api/v1/clusters", create); code != http.StatusOK {
		t.Fatalf("create: %d %s", code, out)
	}
	byServer := "/api/v1/clusters/" + url.PathEscape(server)
	put := func(who, target string, body any) (int, string) {
		code, out := e.do(t, who, "PUT", target, body)
		return code, string(out)
	}
	if code, out := put("admin", byServer+"?updatedFields=name", map[string]any{"name": "renamed", "namespaces": []string{"lost"}}); code != http.StatusOK {
		t.Fatalf("update name: %d %s", code, out)
	}
	if code, out := put("admin", "/api/v1/clusters/renamed?id.type=name&updatedFields=labels,namespaces&updatedFields=shard",
		map[string]any{"labels": map[string]string{"tier": "1"}}); code != http.StatusOK {
		t.Fatalf("update by name: %d %s", code, out)
	}
	s := storedClusterSecret(t, e, server)
	wantData := map[string]string{"server": server, "name": "renamed", "project": "team-a",
		"config": `{"bearerToken":"tok-keep","tlsClientConfig":{"caData":"Q0E="}}`}
	if diff := cmp.Diff(wantData, stringData(s)); diff != "" {
		t.Errorf("cluster Secret data (-want +got):\n%s", diff)
	}
	if s.Labels["tier"] != "1" || s.Labels["env"] != "" || s.Annotations["owner"] != "ops" {
		t.Errorf("cluster Secret labels %v, annotations %v: want the labels replaced and the annotations kept", s.Labels, s.Annotations)
	}

	if code, out := put("admin", byServer+"?updatedFields=server", map[string]any{"server": "https://elsewhere"}); code != http.StatusBadRequest || !strings.Contains(out, `is not a field of a cluster one may update`) {
		t.Errorf("update of an unknown field: %d %s, want 400", code, out)
	}
	if code, out := put("mover", byServer+"?updatedFields=project", map[string]any{"project": "team-b"}); code != http.StatusForbidden {
		t.Errorf("move into a project the caller may not update: %d %s, want 403", code, out)
	}
	if code, out := put("mover", byServer+"?updatedFields=annotations", map[string]any{"annotations": map[string]string{"owner": "dev"}}); code != http.StatusOK {
		t.Errorf("update within the caller's project: %d %s", code, out)
	}
	if got := storedClusterSecret(t, e, server); string(got.Data["project"]) != "team-a" || got.Annotations["owner"] != "dev" {
		t.Errorf("after the updates: project %q, annotations %v", got.Data["project"], got.Annotations)
	}
}

// storedClusterSecret is the cluster Secret of server in e's namespace.
func storedClusterSecret(t *testing.T, e *resEnv, server string) *corev1.Secret {
	t.Helper()
	var list corev1.SecretList
	if err := e.client.List(context.Background(), &list, client.InNamespace(e.ns)); err != nil {
		t.Fatal(err)
	}
	for i := range list.Items {
		if string(list.Items[i].Data["server"]) == server {
			return &list.Items[i]
		}
	}
	t.Fatalf("no cluster Secret for %s", server)
	return nil
}
