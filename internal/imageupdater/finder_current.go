package imageupdater

import (
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// imageVersion is the version part of an image reference.
type imageVersion struct {
	Tag, Digest string
}

// String is the version as Update.From shows it: "tag", "@digest" or
// "tag@digest"; empty when unknown.
func (v imageVersion) String() string {
	s := v.Tag
	if v.Digest != "" {
		s += "@" + v.Digest
	}
	return s
}

// splitReference splits image[:tag][@digest].
func splitReference(ref string) (string, imageVersion) {
	var v imageVersion
	if at := strings.Index(ref, "@"); at >= 0 {
		ref, v.Digest = ref[:at], ref[at+1:]
	}
	slash := strings.LastIndex(ref, "/")
	if colon := strings.LastIndex(ref, ":"); colon > slash {
		ref, v.Tag = ref[:colon], ref[colon+1:]
	}
	return ref, v
}

// runningImage finds the image in the Application's
// status.summary.images, comparing full names (nginx is
// docker.io/library/nginx), and returns the version that runs.
func runningImage(app *v1alpha1.Application, spec ImageSpec, conf *RegistriesConf) (imageVersion, bool) {
	want := conf.locate(spec.Image).Canonical()
	for _, ref := range app.Status.Summary.Images {
		name, v := splitReference(ref)
		if conf.locate(name).Canonical() == want {
			return v, true
		}
	}
	return imageVersion{}, false
}

// configuredImage is the version the Application's own parameters set
// for the image: its Helm image-spec or image-tag parameter, or its
// Kustomize image override; empty when they set none.
func configuredImage(app *v1alpha1.Application, spec ImageSpec, conf *RegistriesConf) imageVersion {
	want := conf.locate(spec.Image).Canonical()
	for _, src := range app.Spec.GetSources() {
		if src.Helm != nil {
			if v, ok := helmVersion(src.Helm.Parameters, spec); ok {
				return v
			}
		}
		if src.Kustomize != nil {
			for _, img := range src.Kustomize.Images {
				if v, ok := kustomizeVersion(string(img), spec, want, conf); ok {
					return v
				}
			}
		}
	}
	return imageVersion{}
}

// helmVersion reads the image-spec parameter (name:tag) or else the
// image-tag parameter.
func helmVersion(params []v1alpha1.HelmParameter, spec ImageSpec) (imageVersion, bool) {
	tagParam := spec.HelmImageTag
	if tagParam == "" {
		tagParam = DefaultHelmImageTag
	}
	for _, p := range params {
		switch {
		case spec.HelmImageSpec != "" && p.Name == spec.HelmImageSpec:
			_, v := splitReference(p.Value)
			return v, true
		case spec.HelmImageSpec == "" && p.Name == tagParam:
			_, v := splitReference(":" + p.Value)
			return v, true
		}
	}
	return imageVersion{}, false
}

// kustomizeVersion reads one images entry, [old=]new[:tag][@digest], when
// it overrides the image: its old name is the kustomize.image-name, or
// its name is the image.
func kustomizeVersion(entry string, spec ImageSpec, want string, conf *RegistriesConf) (imageVersion, bool) {
	old, ref, hasOld := strings.Cut(entry, "=")
	if !hasOld {
		ref = entry
	}
	name, v := splitReference(ref)
	if !hasOld {
		old = name
	}
	if spec.KustomizeImageName != "" {
		return v, old == spec.KustomizeImageName
	}
	return v, conf.locate(old).Canonical() == want || conf.locate(name).Canonical() == want
}
