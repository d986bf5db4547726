package imageupdater

import (
	"fmt"
	"path"
	"strings"
)

// The write-back annotations on an Application.
const (
	AnnotationWriteBackMethod = AnnotationPrefix + "write-back-method"
	AnnotationGitBranch       = AnnotationPrefix + "git-branch"
	AnnotationWriteBackTarget = AnnotationPrefix + "write-back-target"
	AnnotationGitRepository   = AnnotationPrefix + "git-repository"
)

// Method is how updates reach the Application.
type Method string

// The write-back methods.
const (
	// MethodArgoCD patches the Application's Helm parameters or Kustomize
	// images. It is the default.
	MethodArgoCD Method = "argocd"
	// MethodGit commits the change to the Application's repository.
	MethodGit Method = "git"
)

// Target is the kind of file a Git write-back edits.
type Target string

// The write-back targets.
const (
	// TargetSourceFile is the override file .argocd-source-<app>.yaml
	// (or the file the annotation names), the default.
	TargetSourceFile Target = "sourcefile"
	// TargetKustomization edits images: in a kustomization.
	TargetKustomization Target = "kustomization"
	// TargetHelmValues edits a Helm values file in place.
	TargetHelmValues Target = "helmvalues"
)

// WriteBack is an Application's write-back configuration, from its
// annotations.
type WriteBack struct {
	Method Method
	// Secret is "namespace/name" of the Secret holding the Git
	// credentials (git:secret:ns/name); empty means the repository's
	// own credentials.
	Secret string
	// Base is the branch commits start from; empty means the source's
	// targetRevision.
	Base string
	// Branch is the branch pushed, a text/template over the updates; empty
	// means Base.
	Branch string
	Target Target
	// Path is the target's path as written: relative to the source's path,
	// or to the repository's root when it starts with "/". Empty means
	// the target's default.
	Path string
	// Repository overrides the source's repoURL for commits.
	Repository string
}

// ParseWriteBack reads the write-back annotations.
func ParseWriteBack(annotations map[string]string) (WriteBack, error) {
	wb := WriteBack{Method: MethodArgoCD, Target: TargetSourceFile}
	method := strings.TrimSpace(annotations[AnnotationWriteBackMethod])
	switch {
	case method == "" || method == string(MethodArgoCD):
	case method == "git" || method == "git:repocreds":
		wb.Method = MethodGit
	case strings.HasPrefix(method, "git:secret:"):
		wb.Method = MethodGit
		wb.Secret = strings.TrimPrefix(method, "git:secret:")
		if ns, name, ok := strings.Cut(wb.Secret, "/"); !ok || ns == "" || name == "" || strings.Contains(name, "/") {
			return WriteBack{}, fmt.Errorf("annotation %s: %q: want git:secret:<namespace>/<name>", AnnotationWriteBackMethod, method)
		}
	default:
		return WriteBack{}, fmt.Errorf("annotation %s: unknown method %q (argocd, git, git:repocreds or git:secret:<namespace>/<name>)", AnnotationWriteBackMethod, method)
	}
	if b := strings.TrimSpace(annotations[AnnotationGitBranch]); b != "" {
		base, target, ok := strings.Cut(b, ":")
		wb.Base, wb.Branch = base, target
		if !ok {
			wb.Branch = base
		}
	}
	wb.Repository = strings.TrimSpace(annotations[AnnotationGitRepository])
	target := strings.TrimSpace(annotations[AnnotationWriteBackTarget])
	kind, p, _ := strings.Cut(target, ":")
	switch kind {
	case "":
	case string(TargetKustomization):
		wb.Target, wb.Path = TargetKustomization, p
	case string(TargetHelmValues):
		wb.Target, wb.Path = TargetHelmValues, p
	default:
		wb.Path = target
	}
	if wb.Path != "" && !inRepository(wb.Path) {
		return WriteBack{}, fmt.Errorf("annotation %s: path %q leaves the repository", AnnotationWriteBackTarget, wb.Path)
	}
	return wb, nil
}

// File is the path, from the repository's root, of the file the write-back
// edits for an Application named app whose source is at sourcePath. For a
// kustomization it is the directory.
func (wb WriteBack) File(sourcePath, app string) string {
	p := wb.Path
	switch {
	case p == "" && wb.Target == TargetSourceFile:
		p = ".argocd-source-" + app + ".yaml"
	case p == "" && wb.Target == TargetHelmValues:
		p = "values.yaml"
	case p == "":
		p = "."
	}
	if strings.HasPrefix(p, "/") {
		return cleanRel(p)
	}
	return cleanRel(path.Join(sourcePath, p))
}

// inRepository reports whether a path written in an annotation stays in the
// repository, wherever the source's path is.
func inRepository(p string) bool {
	for _, el := range strings.Split(p, "/") {
		if el == ".." {
			return false
		}
	}
	return true
}

func cleanRel(p string) string {
	c := strings.TrimPrefix(path.Clean("/"+p), "/")
	if c == "" {
		return "."
	}
	return c
}
