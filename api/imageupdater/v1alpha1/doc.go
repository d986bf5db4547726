// Package v1alpha1 holds the ImageUpdater resource of the
// argocd-image-updater.argoproj.io/v1alpha1 group: which Applications the
// image updater keeps up to date, with which images and settings, as a
// resource rather than Application annotations. Its fields keep the JSON
// names of Argo CD Image Updater's resource, so a manifest written for it
// decodes here unchanged. The package is data only.
//
// +kubebuilder:object:generate=true
// +groupName=argocd-image-updater.argoproj.io
package v1alpha1
