// Package imageupdater keeps the container images of Applications at the
// newest version their annotations allow: it reads the
// argocd-image-updater.argoproj.io/* annotations, asks the registries for
// candidate tags, picks one by the image's update strategy, and writes the
// choice back onto the Application or as a commit to its repository.
package imageupdater

// Update is the decision to move one image of one Application to another
// version. Finding updates and writing them back meet here: the finder
// fills it from the annotations and the registry, write-back reads it.
type Update struct {
	// Namespace and App name the Application.
	Namespace, App string
	// Alias is the image's alias in the image-list annotation, or its
	// name when it has none.
	Alias string
	// Image is the image without tag or digest, as the image-list names
	// it (e.g. "ghcr.io/org/app" or "nginx").
	Image string
	// From is the reference running now (a tag, or "@sha256:..."), empty
	// when none is known.
	From string
	// Tag is the chosen tag; Digest its manifest digest when the strategy
	// is digest (or when known).
	Tag, Digest string
	// HelmImageName, HelmImageTag and HelmImageSpec are the Helm
	// parameter names of the <alias>.helm.* annotations; empty when unset.
	HelmImageName, HelmImageTag, HelmImageSpec string
	// KustomizeImageName is the <alias>.kustomize.image-name annotation:
	// the image name to override in the kustomization; empty means Image.
	KustomizeImageName string
}

// Reference is the new image reference: image:tag, or image@digest when
// only a digest is known, or image:tag@digest when both are.
func (u Update) Reference() string {
	ref := u.Image
	if u.Tag != "" {
		ref += ":" + u.Tag
	}
	if u.Digest != "" {
		ref += "@" + u.Digest
	}
	return ref
}
