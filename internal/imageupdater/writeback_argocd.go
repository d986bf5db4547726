package imageupdater

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// SetImages writes updates into the Application's spec, the way the argocd
// write-back method does: Helm parameters (forced to strings) on every Helm
// source, Kustomize image overrides on every Kustomize source. It reports
// whether the spec changed, and fails when no source can take an update.
func SetImages(app *v1alpha1.Application, updates []Update) (bool, error) {
	sources := app.Spec.GetSources()
	changed := false
	for _, u := range updates {
		took := false
		for i := range sources {
			src := sourceAt(app, i)
			switch SourceType(app, i) {
			case v1alpha1.ApplicationSourceTypeHelm:
				if src.Helm == nil {
					src.Helm = &v1alpha1.ApplicationSourceHelm{}
				}
				for _, p := range HelmParameters(u) {
					changed = setHelmParameter(src.Helm, p) || changed
				}
				took = true
			case v1alpha1.ApplicationSourceTypeKustomize:
				if src.Kustomize == nil {
					src.Kustomize = &v1alpha1.ApplicationSourceKustomize{}
				}
				changed = setKustomizeImage(&src.Kustomize.Images, u) || changed
				took = true
			}
		}
		if !took {
			return false, fmt.Errorf("application %s/%s: no Helm or Kustomize source to set image %s in", app.Namespace, app.Name, u.Image)
		}
	}
	return changed, nil
}

// sourceAt is the i-th source of the spec, to modify in place.
func sourceAt(app *v1alpha1.Application, i int) *v1alpha1.ApplicationSource {
	if app.Spec.HasMultipleSources() {
		return &app.Spec.Sources[i]
	}
	return app.Spec.Source
}

// SourceType is the tool that renders the i-th source: the one its spec
// names, else the one the controller last detected.
func SourceType(app *v1alpha1.Application, i int) v1alpha1.ApplicationSourceType {
	src := app.Spec.GetSources()[i]
	switch {
	case src.Ref != "" && src.Path == "" && src.Chart == "":
		return ""
	case src.Helm != nil || src.Chart != "":
		return v1alpha1.ApplicationSourceTypeHelm
	case src.Kustomize != nil:
		return v1alpha1.ApplicationSourceTypeKustomize
	case app.Spec.HasMultipleSources() && i < len(app.Status.SourceTypes):
		return app.Status.SourceTypes[i]
	case !app.Spec.HasMultipleSources():
		return app.Status.SourceType
	}
	return ""
}

// HelmParameters are the parameters an update sets: the image-spec
// parameter alone when named, else the name and tag parameters.
func HelmParameters(u Update) []v1alpha1.HelmParameter {
	if u.HelmImageSpec != "" {
		return []v1alpha1.HelmParameter{{Name: u.HelmImageSpec, Value: u.Reference(), ForceString: true}}
	}
	name, tag := u.HelmImageName, u.HelmImageTag
	if name == "" {
		name = DefaultHelmImageName
	}
	if tag == "" {
		tag = DefaultHelmImageTag
	}
	return []v1alpha1.HelmParameter{
		{Name: name, Value: u.Image, ForceString: true},
		{Name: tag, Value: u.Version(), ForceString: true},
	}
}

// Version is what follows the image's name in its reference: the tag, the
// tag@digest, or the digest alone.
func (u Update) Version() string {
	switch {
	case u.Tag != "" && u.Digest != "":
		return u.Tag + "@" + u.Digest
	case u.Tag != "":
		return u.Tag
	}
	return u.Digest
}

func setHelmParameter(h *v1alpha1.ApplicationSourceHelm, p v1alpha1.HelmParameter) bool {
	for i, old := range h.Parameters {
		if old.Name == p.Name {
			if old == p {
				return false
			}
			h.Parameters[i] = p
			return true
		}
	}
	h.Parameters = append(h.Parameters, p)
	return true
}

// KustomizeImage is the Kustomize override an update sets:
// [<original>=]<image>:<tag>[@<digest>].
func KustomizeImage(u Update) v1alpha1.KustomizeImage {
	ref := u.Reference()
	if orig := u.KustomizeImageName; orig != "" && orig != u.Image {
		ref = orig + "=" + ref
	}
	return v1alpha1.KustomizeImage(ref)
}

// kustomizeImageName is the image an override applies to.
func kustomizeImageName(img string) string {
	if orig, _, ok := strings.Cut(img, "="); ok {
		return orig
	}
	name, _, _ := strings.Cut(img, "@")
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name = name[:i]
	}
	return name
}

func setKustomizeImage(images *v1alpha1.KustomizeImages, u Update) bool {
	img := KustomizeImage(u)
	name := kustomizeImageName(string(img))
	i := slices.IndexFunc(*images, func(old v1alpha1.KustomizeImage) bool { return kustomizeImageName(string(old)) == name })
	switch {
	case i < 0:
		*images = append(*images, img)
	case (*images)[i] == img:
		return false
	default:
		(*images)[i] = img
	}
	return true
}

// PatchApplication writes updates into the named Application's spec, read
// afresh and written again when it changed meanwhile. It reports whether it
// changed anything.
func PatchApplication(ctx context.Context, c client.Client, key client.ObjectKey, updates []Update) (bool, error) {
	changed := false
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var app v1alpha1.Application
		if err := c.Get(ctx, key, &app); err != nil {
			return err
		}
		var err error
		if changed, err = SetImages(&app, updates); err != nil || !changed {
			return err
		}
		return c.Update(ctx, &app)
	})
	if err != nil {
		return false, fmt.Errorf("update application %s: %w", key, err)
	}
	return changed, nil
}
