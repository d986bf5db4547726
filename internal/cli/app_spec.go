package cli

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// appSpecFlags are the flags of `app create` and `app set` that write an
// Application's spec; only the flags a user gave change anything.
type appSpecFlags struct {
	repo, path, revision, chart  string
	destServer, destName, destNS string
	project                      string
	syncPolicy                   string
	autoPrune, selfHeal          bool
	allowEmpty                   bool
	syncOptions                  []string
	helmSet, helmSetString       []string
	values                       []string
	releaseName                  string
	kustomizeImages              []string
	namePrefix, nameSuffix       string
	directoryRecurse             bool
	labels                       []string
	revisionHistoryLimit         int64
}

func (f *appSpecFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.repo, "repo", "", "repository URL of the source")
	fs.StringVar(&f.path, "path", "", "path of the source in the repository")
	fs.StringVar(&f.revision, "revision", "", "target revision: branch, tag, commit, or chart version")
	fs.StringVar(&f.chart, "helm-chart", "", "Helm chart name, for a Helm repository source")
	fs.StringVar(&f.destServer, "dest-server", "", "destination cluster's API server URL")
	fs.StringVar(&f.destName, "dest-name", "", "destination cluster's name")
	fs.StringVar(&f.destNS, "dest-namespace", "", "destination namespace")
	fs.StringVar(&f.project, "project", "", "project of the Application")
	fs.StringVar(&f.syncPolicy, "sync-policy", "", "sync policy: manual (or none) or automated (or auto)")
	fs.BoolVar(&f.autoPrune, "auto-prune", false, "with automated sync, delete objects no longer in the source")
	fs.BoolVar(&f.selfHeal, "self-heal", false, "with automated sync, undo changes made to the cluster")
	fs.BoolVar(&f.allowEmpty, "allow-empty", false, "with automated sync, allow a source that renders nothing")
	fs.StringArrayVar(&f.syncOptions, "sync-option", nil, "a sync option such as CreateNamespace=true (repeatable)")
	fs.StringArrayVar(&f.helmSet, "helm-set", nil, "a Helm parameter NAME=VALUE (repeatable)")
	fs.StringArrayVar(&f.helmSetString, "helm-set-string", nil, "a Helm string parameter NAME=VALUE (repeatable)")
	fs.StringArrayVar(&f.values, "values", nil, "a Helm values file of the source (repeatable)")
	fs.StringVar(&f.releaseName, "release-name", "", "Helm release name")
	fs.StringArrayVar(&f.kustomizeImages, "kustomize-image", nil, "a Kustomize image override, such as nginx=nginx:1.27 (repeatable)")
	fs.StringVar(&f.namePrefix, "nameprefix", "", "Kustomize name prefix")
	fs.StringVar(&f.nameSuffix, "namesuffix", "", "Kustomize name suffix")
	fs.BoolVar(&f.directoryRecurse, "directory-recurse", false, "read the directory's subdirectories too")
	fs.StringArrayVar(&f.labels, "label", nil, "a label KEY=VALUE of the Application (repeatable)")
	fs.Int64Var(&f.revisionHistoryLimit, "revision-history-limit", 10, "deployments kept in the history")
}

// sourceFlags are the flags that write the source.
var sourceFlags = []string{"repo", "path", "revision", "helm-chart", "helm-set", "helm-set-string", "values", "release-name", "kustomize-image", "nameprefix", "namesuffix", "directory-recurse"}

// apply writes the flags that changed into app.
func (f *appSpecFlags) apply(app *v1alpha1.Application, changed func(string) bool) error {
	spec := &app.Spec
	if slices.ContainsFunc(sourceFlags, changed) && len(spec.Sources) > 0 {
		return errors.New("the Application has several sources: change them with -f, source flags write a single source")
	}
	if spec.Source == nil && slices.ContainsFunc(sourceFlags, changed) {
		spec.Source = &v1alpha1.ApplicationSource{}
	}
	src := spec.Source
	set := func(flag string, dst *string, v string) {
		if changed(flag) {
			*dst = v
		}
	}
	if src != nil {
		set("repo", &src.RepoURL, f.repo)
		set("path", &src.Path, f.path)
		set("revision", &src.TargetRevision, f.revision)
		set("helm-chart", &src.Chart, f.chart)
	}
	set("dest-server", &spec.Destination.Server, f.destServer)
	set("dest-name", &spec.Destination.Name, f.destName)
	set("dest-namespace", &spec.Destination.Namespace, f.destNS)
	set("project", &spec.Project, f.project)
	if err := f.applySyncPolicy(spec, changed); err != nil {
		return err
	}
	if changed("revision-history-limit") {
		spec.RevisionHistoryLimit = &f.revisionHistoryLimit
	}
	if err := f.applyHelm(src, changed); err != nil {
		return err
	}
	f.applyKustomize(src, changed)
	if changed("directory-recurse") {
		if src.Directory == nil {
			src.Directory = &v1alpha1.ApplicationSourceDirectory{}
		}
		src.Directory.Recurse = f.directoryRecurse
	}
	for _, l := range f.labels {
		k, v, ok := strings.Cut(l, "=")
		if !ok || k == "" {
			return fmt.Errorf("label %q: want KEY=VALUE", l)
		}
		if app.Labels == nil {
			app.Labels = map[string]string{}
		}
		app.Labels[k] = v
	}
	return nil
}

func (f *appSpecFlags) applySyncPolicy(spec *v1alpha1.ApplicationSpec, changed func(string) bool) error {
	if changed("sync-policy") {
		switch f.syncPolicy {
		case "manual", "none":
			if spec.SyncPolicy != nil {
				spec.SyncPolicy.Automated = nil
			}
		case "automated", "automatic", "auto":
			if spec.SyncPolicy == nil {
				spec.SyncPolicy = &v1alpha1.SyncPolicy{}
			}
			if spec.SyncPolicy.Automated == nil {
				spec.SyncPolicy.Automated = &v1alpha1.SyncPolicyAutomated{}
			}
		default:
			return fmt.Errorf("unknown sync policy %q: want manual or automated", f.syncPolicy)
		}
	}
	for _, flag := range []string{"auto-prune", "self-heal", "allow-empty"} {
		if !changed(flag) {
			continue
		}
		if spec.SyncPolicy == nil || spec.SyncPolicy.Automated == nil {
			return fmt.Errorf("--%s needs an automated sync policy (--sync-policy automated)", flag)
		}
		a := spec.SyncPolicy.Automated
		switch flag {
		case "auto-prune":
			a.Prune = f.autoPrune
		case "self-heal":
			a.SelfHeal = f.selfHeal
		default:
			a.AllowEmpty = f.allowEmpty
		}
	}
	if changed("sync-option") {
		if spec.SyncPolicy == nil {
			spec.SyncPolicy = &v1alpha1.SyncPolicy{}
		}
		for _, o := range f.syncOptions {
			key, _, _ := strings.Cut(o, "=")
			spec.SyncPolicy.SyncOptions = slices.DeleteFunc(spec.SyncPolicy.SyncOptions, func(x string) bool {
				k, _, _ := strings.Cut(x, "=")
				return k == key
			})
			spec.SyncPolicy.SyncOptions = append(spec.SyncPolicy.SyncOptions, o)
		}
	}
	return nil
}

func (f *appSpecFlags) applyHelm(src *v1alpha1.ApplicationSource, changed func(string) bool) error {
	if !changed("helm-set") && !changed("helm-set-string") && !changed("values") && !changed("release-name") {
		return nil
	}
	if src.Helm == nil {
		src.Helm = &v1alpha1.ApplicationSourceHelm{}
	}
	h := src.Helm
	for i, list := range [][]string{f.helmSet, f.helmSetString} {
		for _, p := range list {
			name, value, ok := strings.Cut(p, "=")
			if !ok || name == "" {
				return fmt.Errorf("helm parameter %q: want NAME=VALUE", p)
			}
			param := v1alpha1.HelmParameter{Name: name, Value: value, ForceString: i == 1}
			upsert(&h.Parameters, param, func(x v1alpha1.HelmParameter) bool { return x.Name == name })
		}
	}
	for _, v := range f.values {
		if !slices.Contains(h.ValueFiles, v) {
			h.ValueFiles = append(h.ValueFiles, v)
		}
	}
	if changed("release-name") {
		h.ReleaseName = f.releaseName
	}
	return nil
}

func (f *appSpecFlags) applyKustomize(src *v1alpha1.ApplicationSource, changed func(string) bool) {
	if !changed("kustomize-image") && !changed("nameprefix") && !changed("namesuffix") {
		return
	}
	if src.Kustomize == nil {
		src.Kustomize = &v1alpha1.ApplicationSourceKustomize{}
	}
	k := src.Kustomize
	for _, img := range f.kustomizeImages {
		name := kustomizeImageName(img)
		upsert(&k.Images, v1alpha1.KustomizeImage(img), func(x v1alpha1.KustomizeImage) bool { return kustomizeImageName(string(x)) == name })
	}
	if changed("nameprefix") {
		k.NamePrefix = f.namePrefix
	}
	if changed("namesuffix") {
		k.NameSuffix = f.nameSuffix
	}
}

// kustomizeImageName is the image an override applies to: what precedes
// "=", else the reference without its tag or digest.
func kustomizeImageName(s string) string {
	if name, _, ok := strings.Cut(s, "="); ok {
		return name
	}
	if i := strings.Index(s, "@"); i >= 0 {
		s = s[:i]
	}
	if i := strings.LastIndex(s, ":"); i > strings.LastIndex(s, "/") {
		s = s[:i]
	}
	return s
}
