// Package examples runs Applications of the shapes users bring from Argo
// CD's public example repository through capstan's Application controller,
// on a real local control plane and a real Git server: a plain directory,
// a Helm chart, a Kustomize overlay, Jsonnet, sync waves with hooks the
// cluster names (generateName), Helm hooks, PreSync and PostSync hooks, and
// an app of apps. The fixtures under testdata are capstan's own, written
// to those shapes. The package holds no product code.
package examples
