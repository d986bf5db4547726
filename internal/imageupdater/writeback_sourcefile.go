package imageupdater

import (
	"fmt"

	"gopkg.in/yaml.v3"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// SetSourceFile merges updates into an override file
// (.argocd-source-<app>.yaml), which the render lays over the
// Application's source: Helm parameters under helm.parameters when the
// source is rendered by Helm, Kustomize images under kustomize.images when
// by Kustomize. Only the parameters and images of the updates are written;
// the rest of the file stays as it was. A missing file (nil data) is
// created.
func SetSourceFile(data []byte, typ v1alpha1.ApplicationSourceType, updates []Update) ([]byte, error) {
	doc, err := parseYAMLDoc(data)
	if err != nil {
		return nil, fmt.Errorf("parse override file: %w", err)
	}
	switch typ {
	case v1alpha1.ApplicationSourceTypeHelm:
		err = setSourceFileHelm(doc, updates)
	case v1alpha1.ApplicationSourceTypeKustomize:
		err = setSourceFileKustomize(doc, updates)
	default:
		err = fmt.Errorf("a %q source takes no image override; only Helm and Kustomize sources do", typ)
	}
	if err != nil {
		return nil, err
	}
	if !doc.changed() {
		return data, nil
	}
	return doc.bytes()
}

func setSourceFileHelm(doc *yamlDoc, updates []Update) error {
	helm, err := doc.mapping(doc.root, "helm")
	if err != nil {
		return err
	}
	params, err := doc.sequence(helm, "parameters")
	if err != nil {
		return err
	}
	for _, u := range updates {
		for _, p := range HelmParameters(u) {
			entry := findEntry(params, func(e *yaml.Node) bool { n := lookup(e, "name"); return n != nil && n.Value == p.Name })
			if entry == nil {
				entry = &yaml.Node{Kind: yaml.MappingNode}
				params.Content = append(params.Content, entry)
				doc.add(entry, "name", stringNode(p.Name))
				doc.add(entry, "value", stringNode(p.Value))
				doc.add(entry, "forcestring", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
				continue
			}
			if err := doc.set(entry, "value", p.Value); err != nil {
				return fmt.Errorf("helm parameter %s: %w", p.Name, err)
			}
		}
	}
	return nil
}

func setSourceFileKustomize(doc *yamlDoc, updates []Update) error {
	k, err := doc.mapping(doc.root, "kustomize")
	if err != nil {
		return err
	}
	images, err := doc.sequence(k, "images")
	if err != nil {
		return err
	}
	for _, u := range updates {
		img := string(KustomizeImage(u))
		name := kustomizeImageName(img)
		entry := findEntry(images, func(e *yaml.Node) bool { return e.Kind == yaml.ScalarNode && kustomizeImageName(e.Value) == name })
		switch {
		case entry == nil:
			images.Content = append(images.Content, stringNode(img))
			doc.reshaped = true
		case entry.Value != img:
			doc.sets = append(doc.sets, scalarSet{node: entry, value: img})
		}
	}
	return nil
}

func findEntry(seq *yaml.Node, match func(*yaml.Node) bool) *yaml.Node {
	for _, e := range seq.Content {
		if match(e) {
			return e
		}
	}
	return nil
}
