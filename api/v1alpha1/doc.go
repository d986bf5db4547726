// Package v1alpha1 holds capstan's Kubernetes API types: Application, AppProject
// and ApplicationSet in the argoproj.io/v1alpha1 group.
//
// The types are wire-compatible with Argo CD 3.x: every field keeps Argo CD's JSON
// name, optionality and default, so a manifest written for Argo CD decodes here
// unchanged. The package is data only; it imports nothing beyond apimachinery.
//
// +kubebuilder:object:generate=true
// +groupName=argoproj.io
package v1alpha1
