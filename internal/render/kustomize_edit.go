package render

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/resid"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// kustomizeEdit is what an Application's kustomize block changes in the
// kustomization at its path, with the values a user may substitute in
// common annotations.
type kustomizeEdit struct {
	opts *v1alpha1.ApplicationSourceKustomize
	// env expands ${VAR} in common annotations when the source asks for it.
	env map[string]string
	// exists tells whether a component path, relative to the
	// kustomization, exists.
	exists func(rel string) bool
}

// apply returns the kustomization data with the edits made, the way the
// corresponding `kustomize edit` commands would make them: prefix, suffix
// and namespace replace the file's; images and replicas replace entries of
// the same name; labels and annotations are added, and a key the file
// already sets is an error unless forced; patches and components are
// appended.
func (e kustomizeEdit) apply(data []byte) ([]byte, error) {
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return nil, err
	}
	o := e.opts
	if o.NamePrefix != "" {
		k.NamePrefix = o.NamePrefix
	}
	if o.NameSuffix != "" {
		k.NameSuffix = o.NameSuffix
	}
	if o.Namespace != "" {
		k.Namespace = o.Namespace
	}
	for _, img := range o.Images {
		setImage(&k, parseImage(string(img)))
	}
	for _, r := range o.Replicas {
		if err := setReplicas(&k, r); err != nil {
			return nil, err
		}
	}
	if err := addLabels(&k, o); err != nil {
		return nil, err
	}
	if err := addAnnotations(&k, o, e.env); err != nil {
		return nil, err
	}
	for i, p := range o.Patches {
		patch, err := convertPatch(p)
		if err != nil {
			return nil, fmt.Errorf("kustomize patch %d: %w", i, err)
		}
		k.Patches = append(k.Patches, patch)
	}
	for _, c := range o.Components {
		if o.IgnoreMissingComponents && !e.exists(c) {
			continue
		}
		if !slices.Contains(k.Components, c) {
			k.Components = append(k.Components, c)
		}
	}
	return yaml.Marshal(&k)
}

// parseImage reads an image override: [name=]newName[:tag|@digest], or
// name:tag and name@digest to change only the tag or digest.
func parseImage(s string) types.Image {
	var img types.Image
	name, ref, renamed := strings.Cut(s, "=")
	if !renamed {
		ref = s
	}
	if at := strings.Index(ref, "@"); at >= 0 {
		ref, img.Digest = ref[:at], ref[at+1:]
	} else if colon := strings.LastIndex(ref, ":"); colon > strings.LastIndex(ref, "/") {
		ref, img.NewTag = ref[:colon], ref[colon+1:]
	}
	img.Name = ref
	if renamed {
		img.Name, img.NewName = name, ref
	}
	return img
}

// setImage replaces the override of the same image, keeping the new name
// it had when the edit sets only a tag or digest.
func setImage(k *types.Kustomization, img types.Image) {
	for i, old := range k.Images {
		if old.Name != img.Name {
			continue
		}
		if img.NewName == "" {
			img.NewName = old.NewName
		}
		if img.NewTag == "" && img.Digest == "" {
			img.NewTag, img.Digest = old.NewTag, old.Digest
		}
		k.Images[i] = img
		return
	}
	k.Images = append(k.Images, img)
}

func setReplicas(k *types.Kustomization, r v1alpha1.KustomizeReplica) error {
	count, err := strconv.ParseInt(r.Count.String(), 10, 64)
	if err != nil {
		return fmt.Errorf("kustomize replicas for %s: count %q is not a number", r.Name, r.Count.String())
	}
	for i := range k.Replicas {
		if k.Replicas[i].Name == r.Name {
			k.Replicas[i].Count = count
			return nil
		}
	}
	k.Replicas = append(k.Replicas, types.Replica{Name: r.Name, Count: count})
	return nil
}

// addLabels adds the common labels, to selectors too unless the source
// says labelWithoutSelector.
func addLabels(k *types.Kustomization, o *v1alpha1.ApplicationSourceKustomize) error {
	if len(o.CommonLabels) == 0 {
		return nil
	}
	set := map[string]bool{}
	for key := range k.CommonLabels {
		set[key] = true
	}
	for _, l := range k.Labels {
		for key := range l.Pairs {
			set[key] = true
		}
	}
	for _, key := range sortedKeys(o.CommonLabels) {
		if set[key] && !o.ForceCommonLabels {
			return fmt.Errorf("common label %q is already set in the kustomization (set forceCommonLabels to override it)", key)
		}
	}
	if !o.LabelWithoutSelector {
		if k.CommonLabels == nil {
			k.CommonLabels = map[string]string{}
		}
		for key, v := range o.CommonLabels {
			k.CommonLabels[key] = v
		}
		return nil
	}
	l := types.Label{Pairs: map[string]string{}, IncludeTemplates: o.LabelIncludeTemplates}
	for key, v := range o.CommonLabels {
		l.Pairs[key] = v
	}
	k.Labels = append(k.Labels, l)
	return nil
}

func addAnnotations(k *types.Kustomization, o *v1alpha1.ApplicationSourceKustomize, env map[string]string) error {
	for _, key := range sortedKeys(o.CommonAnnotations) {
		if _, set := k.CommonAnnotations[key]; set && !o.ForceCommonAnnotations {
			return fmt.Errorf("common annotation %q is already set in the kustomization (set forceCommonAnnotations to override it)", key)
		}
	}
	for key, v := range o.CommonAnnotations {
		if k.CommonAnnotations == nil {
			k.CommonAnnotations = map[string]string{}
		}
		if o.CommonAnnotationsEnvsubst {
			v = envsubst(v, env)
		}
		k.CommonAnnotations[key] = v
	}
	return nil
}

func convertPatch(p v1alpha1.KustomizePatch) (types.Patch, error) {
	out := types.Patch{Path: p.Path, Patch: p.Patch}
	if t := p.Target; t != nil {
		out.Target = &types.Selector{
			ResId: resid.ResId{
				Gvk:       resid.Gvk{Group: t.Group, Version: t.Version, Kind: t.Kind},
				Name:      t.Name,
				Namespace: t.Namespace,
			},
			AnnotationSelector: t.AnnotationSelector,
			LabelSelector:      t.LabelSelector,
		}
	}
	if len(p.Options) > 0 {
		j, err := json.Marshal(p.Options)
		if err != nil {
			return out, err
		}
		out.Options = &types.PatchArgs{}
		if err := json.Unmarshal(j, out.Options); err != nil {
			return out, fmt.Errorf("options: %w", err)
		}
	}
	return out, nil
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
