package imageupdater

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// AnnotationPrefix starts every annotation the image updater reads.
const AnnotationPrefix = "argocd-image-updater.argoproj.io/"

// AnnotationImageList names the images to keep up to date:
// a comma list of [<alias>=]<image>[:<constraint>].
const AnnotationImageList = AnnotationPrefix + "image-list"

// Per-image option keys. Each is read as <alias>.<key> and, for those in
// appWideOptions, falls back to the bare <key> set for the whole
// Application.
const (
	optStrategy      = "update-strategy"
	optAllowTags     = "allow-tags"
	optIgnoreTags    = "ignore-tags"
	optForceUpdate   = "force-update"
	optPullSecret    = "pull-secret"
	optPlatforms     = "platforms"
	optHelmImageName = "helm.image-name"
	optHelmImageTag  = "helm.image-tag"
	optHelmImageSpec = "helm.image-spec"
	optKustomizeName = "kustomize.image-name"
)

// The Helm parameters an image is written to when its annotations name
// none.
const (
	DefaultHelmImageName = "image.name"
	DefaultHelmImageTag  = "image.tag"
)

// ImageSpec is one entry of the image-list annotation with the options
// its annotations set.
type ImageSpec struct {
	// Alias is the entry's alias as written, empty when it has none.
	Alias string
	// Image is the image name without tag, as written.
	Image string
	// Constraint follows the image's colon: a semver constraint, or the
	// mutable tag for the digest strategy; empty when none.
	Constraint string
	// Strategy picks the new version.
	Strategy Strategy
	// AllowTags is "regexp:<RE>", "any", or empty (any).
	AllowTags string
	// IgnoreTags are filepath.Match globs of tags never chosen.
	IgnoreTags []string
	// Platforms are os/arch[/variant] values an image must be built for
	// when the strategy reads image metadata; empty means the default.
	Platforms []string
	// ForceUpdate considers the image even when no running container
	// uses it.
	ForceUpdate bool
	// PullSecret is the credentials source for this image, empty when
	// the registry's own apply.
	PullSecret string
	// HelmImageName, HelmImageTag, HelmImageSpec and KustomizeImageName
	// are the <alias>.helm.* and <alias>.kustomize.image-name values,
	// empty when unset.
	HelmImageName, HelmImageTag, HelmImageSpec string
	KustomizeImageName                         string
}

// Name is how the image is called in messages and updates: its alias, or
// the image when it has none.
func (s ImageSpec) Name() string {
	if s.Alias != "" {
		return s.Alias
	}
	return s.Image
}

// ParseAnnotations reads the images an Application's annotations ask to
// update, with their options; none when it has no image-list. An invalid
// value is an error naming its annotation.
func ParseAnnotations(annotations map[string]string) ([]ImageSpec, error) {
	list, ok := annotations[AnnotationImageList]
	if !ok || strings.TrimSpace(list) == "" {
		return nil, nil
	}
	var specs []ImageSpec
	for entry := range strings.SplitSeq(list, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		spec, err := parseImageEntry(entry)
		if err != nil {
			return nil, fmt.Errorf("annotation %s: entry %q: %w", AnnotationImageList, entry, err)
		}
		if err := readOptions(&spec, annotations); err != nil {
			return nil, err
		}
		specs = append(specs, spec)
	}
	return specs, nil
}

// parseImageEntry splits [<alias>=]<image>[:<constraint>]. The constraint
// follows the last colon after the last slash, so that a registry port
// (127.0.0.1:5000/app) stays part of the image.
func parseImageEntry(entry string) (ImageSpec, error) {
	var spec ImageSpec
	if alias, image, ok := strings.Cut(entry, "="); ok {
		spec.Alias, entry = strings.TrimSpace(alias), strings.TrimSpace(image)
	}
	if strings.Contains(entry, "@") {
		return spec, fmt.Errorf("an image-list entry names an image and a constraint, not a digest")
	}
	spec.Image = entry
	slash := strings.LastIndex(entry, "/")
	if colon := strings.LastIndex(entry, ":"); colon > slash {
		spec.Image, spec.Constraint = entry[:colon], entry[colon+1:]
	}
	if spec.Image == "" || strings.HasSuffix(spec.Image, "/") || strings.HasPrefix(spec.Image, "/") || strings.Contains(spec.Image, "//") {
		return spec, fmt.Errorf("no image name")
	}
	return spec, nil
}

// readOptions fills spec from its <alias>.<key> annotations and the
// Application-wide defaults.
func readOptions(spec *ImageSpec, annotations map[string]string) error {
	get := func(key string, appWide bool) (string, string, bool) {
		name := AnnotationPrefix + aliasKey(spec.Alias) + "." + key
		if v, ok := annotations[name]; ok {
			return name, strings.TrimSpace(v), true
		}
		if appWide {
			name = AnnotationPrefix + key
			v, ok := annotations[name]
			return name, strings.TrimSpace(v), ok
		}
		return "", "", false
	}
	spec.Strategy = StrategySemver
	if name, v, ok := get(optStrategy, true); ok {
		s, err := ParseStrategy(v)
		if err != nil {
			return fmt.Errorf("annotation %s: %w", name, err)
		}
		spec.Strategy = s
	}
	if err := checkConstraint(*spec); err != nil {
		return fmt.Errorf("annotation %s: image %s: %w", AnnotationImageList, spec.Name(), err)
	}
	if name, v, ok := get(optAllowTags, true); ok {
		if _, err := parseAllowTags(v); err != nil {
			return fmt.Errorf("annotation %s: %w", name, err)
		}
		spec.AllowTags = v
	}
	if name, v, ok := get(optIgnoreTags, true); ok {
		globs, err := parseIgnoreTags(v)
		if err != nil {
			return fmt.Errorf("annotation %s: %w", name, err)
		}
		spec.IgnoreTags = globs
	}
	if name, v, ok := get(optForceUpdate, true); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("annotation %s: %q is neither true nor false", name, v)
		}
		spec.ForceUpdate = b
	}
	if name, v, ok := get(optPullSecret, true); ok {
		if _, err := ParseCredentialSource(v); err != nil {
			return fmt.Errorf("annotation %s: %w", name, err)
		}
		spec.PullSecret = v
	}
	if name, v, ok := get(optPlatforms, false); ok {
		platforms, err := parsePlatforms(v)
		if err != nil {
			return fmt.Errorf("annotation %s: %w", name, err)
		}
		spec.Platforms = platforms
	}
	_, spec.HelmImageName, _ = get(optHelmImageName, false)
	_, spec.HelmImageTag, _ = get(optHelmImageTag, false)
	_, spec.HelmImageSpec, _ = get(optHelmImageSpec, false)
	_, spec.KustomizeImageName, _ = get(optKustomizeName, false)
	return nil
}

// aliasKey is the alias as it appears in annotation keys, where a slash
// is not allowed and is written as an underscore.
func aliasKey(alias string) string { return strings.ReplaceAll(alias, "/", "_") }

// checkConstraint rejects a constraint the strategy cannot use.
func checkConstraint(spec ImageSpec) error {
	switch spec.Strategy {
	case StrategySemver:
		if spec.Constraint != "" {
			if _, err := semver.NewConstraint(spec.Constraint); err != nil {
				return fmt.Errorf("semver constraint %q: %w", spec.Constraint, err)
			}
		}
	case StrategyDigest:
		if spec.Constraint == "" {
			return fmt.Errorf("the digest strategy needs the tag to follow, as in %s:latest", spec.Image)
		}
	}
	return nil
}

// parseAllowTags compiles an allow-tags value: "regexp:<RE>" or "any";
// nil means any tag.
func parseAllowTags(v string) (*regexp.Regexp, error) {
	switch {
	case v == "" || strings.EqualFold(v, "any"):
		return nil, nil
	case strings.HasPrefix(v, "regexp:"):
		re, err := regexp.Compile(strings.TrimPrefix(v, "regexp:"))
		if err != nil {
			return nil, fmt.Errorf("bad regular expression: %w", err)
		}
		return re, nil
	default:
		return nil, fmt.Errorf("%q is neither regexp:<expression> nor any", v)
	}
}

// parseIgnoreTags splits a comma list of globs and checks each.
func parseIgnoreTags(v string) ([]string, error) {
	var globs []string
	for g := range strings.SplitSeq(v, ",") {
		g = strings.TrimSpace(g)
		if g == "" {
			continue
		}
		if _, err := filepath.Match(g, ""); err != nil {
			return nil, fmt.Errorf("glob %q: %w", g, err)
		}
		globs = append(globs, g)
	}
	return globs, nil
}

// parsePlatforms splits a comma list of os/arch[/variant].
func parsePlatforms(v string) ([]string, error) {
	var platforms []string
	for p := range strings.SplitSeq(v, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		parts := strings.Split(p, "/")
		if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
			return nil, fmt.Errorf("platform %q is not os/arch[/variant]", p)
		}
		platforms = append(platforms, p)
	}
	return platforms, nil
}
