package render

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestHelmOptions renders the guestbook chart with one source option at a
// time and checks what a user would look for: which objects come out, and
// the fields the option drives.
func TestHelmOptions(t *testing.T) {
	root := testdataPath(t, "testdata/helm-guestbook/repo")
	all := []string{
		"CustomResourceDefinition/guestbooks.guestbook.example",
		"ConfigMap/guestbook-guestbook-config",
		"Service/guestbook-guestbook",
		"Deployment/guestbook-redis",
		"Deployment/guestbook-guestbook",
		"Pod/guestbook-guestbook-test-connection",
		"Job/guestbook-guestbook-db-migrate",
	}
	tests := []struct {
		name string
		req  Request
		// want lists the objects as kind/name.
		want []string
		// fields maps "kind/name .path.to.field" to its expected value.
		fields map[string]any
	}{{
		name: "defaults come from the request",
		req:  Request{AppName: "guestbook", Namespace: "demo"},
		want: all,
		fields: map[string]any{
			"Deployment/guestbook-guestbook .metadata.annotations.guestbook\\.example/release-namespace": "demo",
			"Deployment/guestbook-guestbook .spec.replicas":                                              int64(1),
			// Helm's default Kubernetes version is old.
			"Deployment/guestbook-guestbook .metadata.annotations.guestbook\\.example/kube": "legacy",
		},
	}, {
		name: "releaseName and namespace override the request",
		req: Request{AppName: "guestbook", Namespace: "demo", Source: helmSource(v1alpha1.ApplicationSourceHelm{
			ReleaseName: "web", Namespace: "frontend",
		})},
		want: []string{
			"CustomResourceDefinition/guestbooks.guestbook.example",
			"ConfigMap/web-guestbook-config",
			"Service/web-guestbook",
			"Deployment/web-redis",
			"Deployment/web-guestbook",
			"Pod/web-guestbook-test-connection",
			"Job/web-guestbook-db-migrate",
		},
		fields: map[string]any{
			"Deployment/web-guestbook .metadata.annotations.guestbook\\.example/release-namespace": "frontend",
		},
	}, {
		name: "skipTests drops test hooks and keeps the others",
		req:  Request{AppName: "guestbook", Source: helmSource(v1alpha1.ApplicationSourceHelm{SkipTests: true})},
		want: dropName(all, "Pod/guestbook-guestbook-test-connection"),
	}, {
		name: "skipCrds drops the crds directory",
		req:  Request{AppName: "guestbook", Source: helmSource(v1alpha1.ApplicationSourceHelm{SkipCrds: true})},
		want: dropName(all, "CustomResourceDefinition/guestbooks.guestbook.example"),
	}, {
		name: "a condition false drops the subchart",
		req: Request{AppName: "guestbook", Source: helmSource(v1alpha1.ApplicationSourceHelm{
			Parameters: []v1alpha1.HelmParameter{{Name: "redis.enabled", Value: "false"}},
		})},
		want: dropName(all, "Deployment/guestbook-redis"),
	}, {
		name: "kubeVersion of the request reaches semverCompare",
		req:  Request{AppName: "guestbook", KubeVersion: "v1.31.2"},
		want: all,
		fields: map[string]any{
			"Deployment/guestbook-guestbook .metadata.annotations.guestbook\\.example/kube": "modern",
		},
	}, {
		name: "kubeVersion of the source wins over the request's",
		req: Request{AppName: "guestbook", KubeVersion: "1.31.0", Source: helmSource(v1alpha1.ApplicationSourceHelm{
			KubeVersion: "1.29.0",
		})},
		want: all,
		fields: map[string]any{
			"Deployment/guestbook-guestbook .metadata.annotations.guestbook\\.example/kube": "legacy",
		},
	}, {
		name: "apiVersions of the source reach Capabilities.APIVersions.Has",
		req: Request{AppName: "guestbook", Source: helmSource(v1alpha1.ApplicationSourceHelm{
			APIVersions: []string{"monitoring.coreos.com/v1", "monitoring.coreos.com/v1/ServiceMonitor"},
		})},
		want: append(all[:5:5], "ServiceMonitor/guestbook-guestbook", all[5], all[6]),
	}, {
		name: "apiVersions of the request are the default",
		req:  Request{AppName: "guestbook", APIVersions: []string{"monitoring.coreos.com/v1/ServiceMonitor"}},
		want: append(all[:5:5], "ServiceMonitor/guestbook-guestbook", all[5], all[6]),
	}, {
		name: "values string applies when there is no valuesObject",
		req: Request{AppName: "guestbook", Source: helmSource(v1alpha1.ApplicationSourceHelm{
			Values: "replicaCount: 5\n",
		})},
		want: all,
		fields: map[string]any{
			"Deployment/guestbook-guestbook .spec.replicas": int64(5),
		},
	}, {
		name: "parameters win over value files and inline values",
		req: Request{AppName: "guestbook", Source: helmSource(v1alpha1.ApplicationSourceHelm{
			ValueFiles: []string{"values-prod.yaml"},
			Values:     "replicaCount: 5\n",
			Parameters: []v1alpha1.HelmParameter{{Name: "replicaCount", Value: "7"}},
		})},
		want: all,
		fields: map[string]any{
			"Deployment/guestbook-guestbook .spec.replicas": int64(7),
			"Service/guestbook-guestbook .spec.type":        "LoadBalancer",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.Root = root
			objs, _, err := renderHelmAt(t, tt.req, root)
			if err != nil {
				t.Fatalf("renderHelm: %v", err)
			}
			if diff := cmp.Diff(tt.want, objectIDs(objs)); diff != "" {
				t.Errorf("objects (-want +got):\n%s", diff)
			}
			for key, want := range tt.fields {
				if diff := cmp.Diff(want, fieldOf(t, objs, key)); diff != "" {
					t.Errorf("%s (-want +got):\n%s", key, diff)
				}
			}
		})
	}
}

func helmSource(h v1alpha1.ApplicationSourceHelm) v1alpha1.ApplicationSource {
	return v1alpha1.ApplicationSource{Helm: &h}
}

func objectIDs(objs []*unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetKind() + "/" + o.GetName()
	}
	return out
}

func dropName(list []string, drop string) []string {
	var out []string
	for _, s := range list {
		if s != drop {
			out = append(out, s)
		}
	}
	return out
}

// fieldOf reads "kind/name .a.b\.c" from objs: the object, then a path of
// fields whose dots may be escaped.
func fieldOf(t *testing.T, objs []*unstructured.Unstructured, key string) any {
	t.Helper()
	id, path, _ := strings.Cut(key, " .")
	for _, o := range objs {
		if o.GetKind()+"/"+o.GetName() != id {
			continue
		}
		v, found, err := unstructured.NestedFieldNoCopy(o.Object, splitFieldPath(path)...)
		if err != nil || !found {
			t.Fatalf("%s: not found (%v)", key, err)
		}
		return v
	}
	t.Fatalf("%s: no such object", key)
	return nil
}

func splitFieldPath(path string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(path); i++ {
		switch {
		case path[i] == '\\' && i+1 < len(path):
			i++
			cur.WriteByte(path[i])
		case path[i] == '.':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(path[i])
		}
	}
	return append(out, cur.String())
}
