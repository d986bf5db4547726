package imageupdater

import (
	"path"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	iuv1 "github.com/capstan-cd/capstan/api/imageupdater/v1alpha1"
	"github.com/capstan-cd/capstan/api/v1alpha1"
	iu "github.com/capstan-cd/capstan/internal/imageupdater"
)

// selects reports whether ref selects the Application: its name matches
// the glob and its labels the selector.
func selects(ref iuv1.ApplicationRef, app metav1.Object) bool {
	if ok, err := path.Match(ref.NamePattern, app.GetName()); err != nil || !ok {
		return false
	}
	if ref.LabelSelectors == nil {
		return true
	}
	sel, err := metav1.LabelSelectorAsSelector(ref.LabelSelectors)
	return err == nil && sel.Matches(labels.Set(app.GetLabels()))
}

// resourceAnnotations are the annotations that say what an ImageUpdater's
// ref says, so that the one engine reads both: the images and their
// settings (image > ref > spec), and the write-back (ref > spec).
func resourceAnnotations(spec iuv1.ImageUpdaterSpec, ref iuv1.ApplicationRef) map[string]string {
	out := map[string]string{}
	var list []string
	for _, img := range ref.Images {
		list = append(list, img.Alias+"="+img.ImageName)
		p := iu.AnnotationPrefix + img.Alias + "."
		s := mergeSettings(spec.CommonUpdateSettings, ref.CommonUpdateSettings, img.CommonUpdateSettings)
		setString(out, p+"update-strategy", s.UpdateStrategy)
		setString(out, p+"allow-tags", s.AllowTags)
		setString(out, p+"pull-secret", s.PullSecret)
		if s.ForceUpdate != nil {
			out[p+"force-update"] = strconv.FormatBool(*s.ForceUpdate)
		}
		if len(s.IgnoreTags) > 0 {
			out[p+"ignore-tags"] = strings.Join(s.IgnoreTags, ",")
		}
		if len(s.Platforms) > 0 {
			out[p+"platforms"] = strings.Join(s.Platforms, ",")
		}
		if t := img.ManifestTarget; t != nil && t.Helm != nil {
			setNonEmpty(out, p+"helm.image-name", t.Helm.Name)
			setNonEmpty(out, p+"helm.image-tag", t.Helm.Tag)
			setNonEmpty(out, p+"helm.image-spec", t.Helm.Spec)
		}
		if t := img.ManifestTarget; t != nil && t.Kustomize != nil {
			setNonEmpty(out, p+"kustomize.image-name", t.Kustomize.Name)
		}
	}
	out[iu.AnnotationImageList] = strings.Join(list, ",")
	wb := mergeWriteBack(spec.WriteBackConfig, ref.WriteBackConfig)
	setString(out, iu.AnnotationWriteBackMethod, wb.Method)
	if g := wb.GitConfig; g != nil {
		setString(out, iu.AnnotationGitRepository, g.Repository)
		setString(out, iu.AnnotationGitBranch, g.Branch)
		setString(out, iu.AnnotationWriteBackTarget, g.WriteBackTarget)
	}
	return out
}

// mergeSettings lays each level's settings over the one before.
func mergeSettings(levels ...*iuv1.CommonUpdateSettings) iuv1.CommonUpdateSettings {
	var out iuv1.CommonUpdateSettings
	for _, l := range levels {
		if l == nil {
			continue
		}
		out.UpdateStrategy = pick(out.UpdateStrategy, l.UpdateStrategy)
		out.ForceUpdate = pick(out.ForceUpdate, l.ForceUpdate)
		out.AllowTags = pick(out.AllowTags, l.AllowTags)
		out.PullSecret = pick(out.PullSecret, l.PullSecret)
		if l.IgnoreTags != nil {
			out.IgnoreTags = l.IgnoreTags
		}
		if l.Platforms != nil {
			out.Platforms = l.Platforms
		}
	}
	return out
}

// mergeWriteBack lays the ref's write-back over the spec's, field by field.
func mergeWriteBack(levels ...*iuv1.WriteBackConfig) iuv1.WriteBackConfig {
	var out iuv1.WriteBackConfig
	for _, l := range levels {
		if l == nil {
			continue
		}
		out.Method = pick(out.Method, l.Method)
		if g := l.GitConfig; g != nil {
			if out.GitConfig == nil {
				out.GitConfig = &iuv1.GitConfig{}
			}
			out.GitConfig.Repository = pick(out.GitConfig.Repository, g.Repository)
			out.GitConfig.Branch = pick(out.GitConfig.Branch, g.Branch)
			out.GitConfig.WriteBackTarget = pick(out.GitConfig.WriteBackTarget, g.WriteBackTarget)
		}
	}
	return out
}

func pick[T any](old, over *T) *T {
	if over != nil {
		return over
	}
	return old
}

func setString(m map[string]string, key string, v *string) {
	if v != nil {
		setNonEmpty(m, key, *v)
	}
}

func setNonEmpty(m map[string]string, key, v string) {
	if v != "" {
		m[key] = v
	}
}

// withResourceAnnotations returns a copy of app whose image updater
// annotations are exactly those given.
func withResourceAnnotations(app *v1alpha1.Application, annotations map[string]string) *v1alpha1.Application {
	out := app.DeepCopy()
	kept := map[string]string{}
	for k, v := range out.Annotations {
		if !strings.HasPrefix(k, iu.AnnotationPrefix) {
			kept[k] = v
		}
	}
	for k, v := range annotations {
		kept[k] = v
	}
	out.Annotations = kept
	return out
}
