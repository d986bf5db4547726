package render

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

func TestParseKustomizeOptions(t *testing.T) {
	tests := []struct {
		in          string
		want        KustomizeOptions
		wantIgnored []string
	}{
		{"", KustomizeOptions{}, nil},
		{"--load-restrictor LoadRestrictionsNone", KustomizeOptions{LoadRestrictionsNone: true}, nil},
		{"--load-restrictor=LoadRestrictionsNone --reorder=none", KustomizeOptions{LoadRestrictionsNone: true, Reorder: "none"}, nil},
		{"--load_restrictor none --enable-managedby-label", KustomizeOptions{LoadRestrictionsNone: true, ManagedByLabel: true}, nil},
		{"--load-restrictor LoadRestrictionsRootOnly --reorder legacy", KustomizeOptions{Reorder: "legacy"}, nil},
		{"--enable-helm --load-restrictor LoadRestrictionsNone", KustomizeOptions{LoadRestrictionsNone: true},
			[]string{"--enable-helm (kustomize would run the helm program; render the chart with a Helm source)"}},
		{"--enable-alpha-plugins --enable-exec --mount type=bind,src=/,dst=/host --frobnicate", KustomizeOptions{}, []string{
			"--enable-alpha-plugins (plugins run code from the repository)",
			"--enable-exec (exec functions run programs from the repository)",
			"--mount (container functions are not run)",
			"--frobnicate (not a flag capstan knows)",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ignored, err := ParseKustomizeOptions(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("options (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantIgnored, ignored); diff != "" {
				t.Errorf("ignored (-want +got):\n%s", diff)
			}
		})
	}
	for _, bad := range []string{"--load-restrictor Everything", "--reorder random"} {
		if _, _, err := ParseKustomizeOptions(bad); err == nil {
			t.Errorf("ParseKustomizeOptions(%q) succeeded", bad)
		}
	}
}

// --load-restrictor LoadRestrictionsNone lets a kustomization read files
// of the repository outside its directory, and nothing outside the
// repository: not by a relative path, not through links.
func TestKustomizeLoadRestrictionsNoneStaysInTheRepository(t *testing.T) {
	none := KustomizeOptions{LoadRestrictionsNone: true}
	shared := map[string]string{
		"k/kustomization.yaml": "configMapGenerator:\n  - name: g\n    files: [../shared/setting]\n",
		"shared/setting":       "from-shared",
	}
	if _, err := Render(t.Context(), Request{AppName: "app", Root: hostileTree(t, shared, chainOut), Source: v1alpha1.ApplicationSource{Path: "k"}, Namespace: "dest"}); err == nil {
		t.Fatal("without the option, a file outside the kustomization's directory was loaded")
	}
	res, err := Render(t.Context(), Request{AppName: "app", Root: hostileTree(t, shared, chainOut), Source: v1alpha1.ApplicationSource{Path: "k"}, Namespace: "dest", Kustomize: none})
	if err != nil {
		t.Fatalf("with LoadRestrictionsNone: %v", err)
	}
	if len(res.Objects) != 1 || res.Objects[0].Object["data"].(map[string]any)["setting"] != "from-shared" {
		t.Fatalf("objects = %v", res.Objects)
	}

	escapes := []struct {
		name  string
		files map[string]string
		links map[string]string
	}{
		{"generator file above the repository", map[string]string{"k/kustomization.yaml": "configMapGenerator:\n  - name: g\n    files: [../../host/token]\n"}, nil},
		{"resource above the repository", map[string]string{"k/kustomization.yaml": "resources: [../../host/cm.yaml]\n"}, nil},
		{"generator file through a chain of links", map[string]string{"k/kustomization.yaml": "configMapGenerator:\n  - name: g\n    files: [../shared/token]\n"},
			map[string]string{"shared/token": "../sub/up/../host/token"}},
	}
	for _, tt := range escapes {
		t.Run(tt.name, func(t *testing.T) {
			links := map[string]string{"sub/up": ".."}
			for k, v := range tt.links {
				links[k] = v
			}
			res, err := Render(t.Context(), Request{AppName: "app", Root: hostileTree(t, tt.files, links), Source: v1alpha1.ApplicationSource{Path: "k"}, Namespace: "dest", Kustomize: none})
			if err == nil {
				for _, o := range res.Objects {
					if data, _ := json.Marshal(o.Object); strings.Contains(string(data), hostSecret) {
						t.Errorf("object %s holds the host's secret", o.GetName())
					}
				}
				t.Fatalf("Render returned %d objects and no error", len(res.Objects))
			}
			if !strings.Contains(err.Error(), "leads outside the repository") {
				t.Errorf("error %q does not say the path leads outside the repository", err)
			}
		})
	}
}
