package bench

import (
	"bytes"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"
)

// ObjectsPerApp is fixed by workload W1: a Deployment, a Service, a
// ServiceAccount, a ConfigMap and a Role.
const ObjectsPerApp = 5

// Names shared by every W1 app; each app lives in its own namespace.
const (
	workloadName  = "web"
	configMapName = "web-config"
	// revisionKey is the ConfigMap key a change commit rewrites.
	revisionKey = "revision"
	// payloadKey holds the ConfigMap's filler, the key drift edits.
	payloadKey = "payload"
)

// Resources of the W1 kinds, for the dynamic client.
var (
	gvrDeployment     = schema.GroupVersionResource{Group: "apps", Version: "v1", Resource: "deployments"}
	gvrService        = schema.GroupVersionResource{Version: "v1", Resource: "services"}
	gvrServiceAccount = schema.GroupVersionResource{Version: "v1", Resource: "serviceaccounts"}
	gvrConfigMap      = schema.GroupVersionResource{Version: "v1", Resource: "configmaps"}
	gvrRole           = schema.GroupVersionResource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles"}
	gvrNamespace      = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
	gvrApplication    = schema.GroupVersionResource{Group: "argoproj.io", Version: "v1alpha1", Resource: "applications"}
)

// w1Resources lists the resource of each W1 object, in apply order.
var w1Resources = []schema.GroupVersionResource{gvrServiceAccount, gvrConfigMap, gvrRole, gvrService, gvrDeployment}

// App is one W1 application: its name, the namespace it deploys to and the
// path of its manifests in the Git repository.
type App struct {
	Index     int
	Name      string
	Namespace string
	Path      string
}

// apps names n W1 applications with a given namespace prefix.
func apps(n int, nsPrefix string) []App {
	out := make([]App, n)
	for i := range out {
		name := fmt.Sprintf("app-%04d", i)
		out[i] = App{Index: i, Name: name, Namespace: fmt.Sprintf("%s-%04d", nsPrefix, i), Path: "apps/" + name}
	}
	return out
}

// w1Objects are the five objects of one app at a revision, without a
// namespace (the Application's destination supplies it). payloadBytes
// sizes the ConfigMap.
func w1Objects(revision string, payloadBytes int) []*unstructured.Unstructured {
	labels := map[string]any{"app.kubernetes.io/name": workloadName}
	meta := func(name string) map[string]any {
		return map[string]any{"name": name, "labels": labels}
	}
	return []*unstructured.Unstructured{
		{Object: map[string]any{"apiVersion": "v1", "kind": "ServiceAccount", "metadata": meta(workloadName)}},
		{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "metadata": meta(configMapName),
			"data": map[string]any{revisionKey: revision, payloadKey: payload(payloadBytes)},
		}},
		{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role", "metadata": meta(workloadName),
			"rules": []any{map[string]any{
				"apiGroups": []any{""}, "resources": []any{"configmaps"},
				"resourceNames": []any{configMapName}, "verbs": []any{"get", "watch"},
			}},
		}},
		{Object: map[string]any{
			"apiVersion": "v1", "kind": "Service", "metadata": meta(workloadName),
			"spec": map[string]any{
				"selector": labels,
				"ports":    []any{map[string]any{"name": "http", "port": int64(80), "targetPort": int64(8080)}},
			},
		}},
		{Object: map[string]any{
			"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta(workloadName),
			"spec": map[string]any{
				"replicas": int64(1),
				"selector": map[string]any{"matchLabels": labels},
				"template": map[string]any{
					"metadata": map[string]any{"labels": labels},
					"spec": map[string]any{
						"serviceAccountName": workloadName,
						"containers": []any{map[string]any{
							"name":    workloadName,
							"image":   "registry.capstan.invalid/bench/web:1.0.0",
							"ports":   []any{map[string]any{"containerPort": int64(8080)}},
							"envFrom": []any{map[string]any{"configMapRef": map[string]any{"name": configMapName}}},
						}},
					},
				},
			},
		}},
	}
}

// payload is filler that brings a ConfigMap to about n bytes.
func payload(n int) string {
	const line = "capstan benchmark filler, the size of a modest configuration file.\n"
	if n <= 0 {
		return ""
	}
	return strings.Repeat(line, n/len(line)+1)[:n]
}

// manifestYAML renders objects as one multi-document YAML file.
func manifestYAML(objs []*unstructured.Unstructured) ([]byte, error) {
	var buf bytes.Buffer
	for _, o := range objs {
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			return nil, fmt.Errorf("marshal %s %s: %w", o.GetKind(), o.GetName(), err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// application is the Argo CD Application that deploys app from repoURL.
func application(app App, namespace, repoURL string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "argoproj.io/v1alpha1",
		"kind":       "Application",
		"metadata":   map[string]any{"name": app.Name, "namespace": namespace},
		"spec": map[string]any{
			"project": "default",
			"source": map[string]any{
				"repoURL": repoURL, "path": app.Path, "targetRevision": "HEAD",
			},
			"destination": map[string]any{
				"server": "https://kubernetes.default.svc", "namespace": app.Namespace,
			},
			"syncPolicy": map[string]any{
				"automated":   map[string]any{"prune": true, "selfHeal": true},
				"syncOptions": []any{"CreateNamespace=true"},
			},
		},
	}}
}

// namespaceObject is a Namespace for the ceiling's own apply loop.
func namespaceObject(name string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	}}
}
