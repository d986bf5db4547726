package imageupdater

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseAnnotations(t *testing.T) {
	const p = AnnotationPrefix
	tests := []struct {
		name        string
		annotations map[string]string
		want        []ImageSpec
	}{
		{name: "no image list"},
		{
			name:        "defaults",
			annotations: map[string]string{p + "image-list": "nginx"},
			want:        []ImageSpec{{Image: "nginx", Strategy: StrategySemver}},
		},
		{
			name: "aliases, constraints, registry ports",
			annotations: map[string]string{
				p + "image-list": " web=ghcr.io/org/web:~1.26 , 127.0.0.1:5000/team/api:1.x, db=postgres",
			},
			want: []ImageSpec{
				{Alias: "web", Image: "ghcr.io/org/web", Constraint: "~1.26", Strategy: StrategySemver},
				{Image: "127.0.0.1:5000/team/api", Constraint: "1.x", Strategy: StrategySemver},
				{Alias: "db", Image: "postgres", Strategy: StrategySemver},
			},
		},
		{
			name: "per-alias options win over app-wide ones",
			annotations: map[string]string{
				p + "image-list":               "web=ghcr.io/org/web, api=ghcr.io/org/api:latest",
				p + "update-strategy":          "latest",
				p + "allow-tags":               "regexp:^v",
				p + "ignore-tags":              "*-rc*",
				p + "force-update":             "true",
				p + "pull-secret":              "pullsecret:argocd/ghcr",
				p + "api.update-strategy":      "digest",
				p + "api.allow-tags":           "any",
				p + "api.ignore-tags":          "a*, b?",
				p + "api.force-update":         "false",
				p + "api.pull-secret":          "env:API_CREDS",
				p + "api.platforms":            "linux/amd64, linux/arm64/v8",
				p + "web.helm.image-name":      "web.image.repository",
				p + "web.helm.image-tag":       "web.image.tag",
				p + "api.helm.image-spec":      "api.image",
				p + "api.kustomize.image-name": "example/api",
				p + "platforms":                "linux/s390x", // per alias only
			},
			want: []ImageSpec{
				{
					Alias: "web", Image: "ghcr.io/org/web", Strategy: StrategyNewestBuild,
					AllowTags: "regexp:^v", IgnoreTags: []string{"*-rc*"}, ForceUpdate: true,
					PullSecret: "pullsecret:argocd/ghcr", HelmImageName: "web.image.repository", HelmImageTag: "web.image.tag",
				},
				{
					Alias: "api", Image: "ghcr.io/org/api", Constraint: "latest", Strategy: StrategyDigest,
					AllowTags: "any", IgnoreTags: []string{"a*", "b?"}, PullSecret: "env:API_CREDS",
					Platforms: []string{"linux/amd64", "linux/arm64/v8"}, HelmImageSpec: "api.image", KustomizeImageName: "example/api",
				},
			},
		},
		{
			name: "a slash in an alias is an underscore in keys",
			annotations: map[string]string{
				p + "image-list":                    "team/web=nginx",
				p + "team_web.update-strategy":      "name",
				p + "team/web.update-strategy":      "digest",
				p + "team_web.helm.image-tag":       "tag",
				p + "team_web.kustomize.image-name": "x",
			},
			want: []ImageSpec{{Alias: "team/web", Image: "nginx", Strategy: StrategyAlphabetical, HelmImageTag: "tag", KustomizeImageName: "x"}},
		},
		{
			// The article's form: an entry with an empty alias reads the
			// keys that start with a dot.
			name: "empty alias reads .<key>",
			annotations: map[string]string{
				p + "image-list":  "=123456789012.dkr.ecr.eu-west-1.amazonaws.com/admin-api",
				p + ".allow-tags": `regexp:2\.\d+\.\d+-SNAPSHOT`,
			},
			want: []ImageSpec{{Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/admin-api", Strategy: StrategySemver, AllowTags: `regexp:2\.\d+\.\d+-SNAPSHOT`}},
		},
		{
			name: "the article's Helm tag parameter",
			annotations: map[string]string{
				p + "image-list":               "admin-api=123456789012.dkr.ecr.eu-west-1.amazonaws.com/admin-api",
				p + "admin-api.helm.image-tag": ".image.tag",
			},
			want: []ImageSpec{{Alias: "admin-api", Image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/admin-api", Strategy: StrategySemver, HelmImageTag: ".image.tag"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseAnnotations(tt.annotations)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseAnnotations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseAnnotationsNamesTheBadAnnotation(t *testing.T) {
	const p = AnnotationPrefix
	tests := []struct {
		name        string
		annotations map[string]string
		wantIn      string
	}{
		{"unknown strategy", map[string]string{p + "image-list": "a=nginx", p + "a.update-strategy": "newest"}, p + "a.update-strategy"},
		{"bad app-wide strategy", map[string]string{p + "image-list": "a=nginx", p + "update-strategy": "x"}, p + "update-strategy"},
		{"bad semver constraint", map[string]string{p + "image-list": "a=nginx:not a version"}, p + "image-list"},
		{"digest without tag", map[string]string{p + "image-list": "a=nginx", p + "a.update-strategy": "digest"}, p + "image-list"},
		{"bad regexp", map[string]string{p + "image-list": "a=nginx", p + "a.allow-tags": "regexp:("}, p + "a.allow-tags"},
		{"any: is not any", map[string]string{p + "image-list": "a=nginx", p + "a.allow-tags": "any:"}, p + "a.allow-tags"},
		{"bad glob", map[string]string{p + "image-list": "a=nginx", p + "ignore-tags": "[a"}, p + "ignore-tags"},
		{"bad force-update", map[string]string{p + "image-list": "a=nginx", p + "a.force-update": "yes please"}, p + "a.force-update"},
		{"bad pull secret", map[string]string{p + "image-list": "a=nginx", p + "a.pull-secret": "secret:argocd/x"}, p + "a.pull-secret"},
		{"bad platform", map[string]string{p + "image-list": "a=nginx", p + "a.platforms": "linux"}, p + "a.platforms"},
		{"digest in the list", map[string]string{p + "image-list": "a=nginx@sha256:abc"}, p + "image-list"},
		// The article's image-list lost its repository to a line wrap.
		{"registry without repository", map[string]string{p + "image-list": "=123456789012.dkr.ecr.eu-west-1.amazonaws.com/"}, p + "image-list"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseAnnotations(tt.annotations)
			if err == nil || !strings.Contains(err.Error(), tt.wantIn+":") {
				t.Errorf("ParseAnnotations error = %v, want one naming %s", err, tt.wantIn)
			}
		})
	}
}

func FuzzParseAnnotations(f *testing.F) {
	f.Add("a=ghcr.io/org/a:~1.2, b=nginx", "digest", "regexp:^v", "*-rc", "linux/amd64")
	f.Add("=host:5000/x:latest", "latest", "any", "", "")
	f.Fuzz(func(t *testing.T, list, strategy, allow, ignore, platforms string) {
		const p = AnnotationPrefix
		specs, err := ParseAnnotations(map[string]string{
			p + "image-list": list, p + "update-strategy": strategy, p + "allow-tags": allow,
			p + "ignore-tags": ignore, p + "a.platforms": platforms,
		})
		if err != nil {
			return
		}
		for _, s := range specs {
			if s.Image == "" {
				t.Fatalf("spec without image from %q", list)
			}
			if _, err := newTagFilter(s); err != nil {
				t.Fatalf("accepted options that do not compile: %v", err)
			}
		}
	})
}
