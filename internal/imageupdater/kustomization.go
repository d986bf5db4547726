package imageupdater

import (
	"fmt"

	"gopkg.in/yaml.v3"
)

// KustomizationFiles are the names kustomize looks for in a directory, in
// its order.
var KustomizationFiles = []string{"kustomization.yaml", "kustomization.yml", "Kustomization"}

// SetKustomizationImages sets, in a kustomization's images: list, the entry
// of each update's image (its kustomize.image-name, else the image) to the
// new name, tag and digest, as `kustomize edit set image` would, and returns
// the new content. Everything else stays as it was.
func SetKustomizationImages(data []byte, updates []Update) ([]byte, error) {
	doc, err := parseYAMLDoc(data)
	if err != nil {
		return nil, fmt.Errorf("parse kustomization: %w", err)
	}
	images, err := doc.sequence(doc.root, "images")
	if err != nil {
		return nil, fmt.Errorf("kustomization: %w", err)
	}
	for _, u := range updates {
		if err := setKustomizationImage(doc, images, u); err != nil {
			return nil, err
		}
	}
	if !doc.changed() {
		return data, nil
	}
	return doc.bytes()
}

func setKustomizationImage(doc *yamlDoc, images *yaml.Node, u Update) error {
	name := u.KustomizeImageName
	if name == "" {
		name = u.Image
	}
	var entry *yaml.Node
	for _, e := range images.Content {
		if n := lookup(e, "name"); n != nil && n.Value == name {
			entry = e
		}
	}
	if entry == nil {
		entry = &yaml.Node{Kind: yaml.MappingNode}
		images.Content = append(images.Content, entry)
		doc.add(entry, "name", stringNode(name))
	}
	if u.Image != name || lookup(entry, "newName") != nil {
		if err := doc.set(entry, "newName", u.Image); err != nil {
			return fmt.Errorf("kustomization image %s: %w", name, err)
		}
	}
	if u.Tag != "" {
		if err := doc.set(entry, "newTag", u.Tag); err != nil {
			return fmt.Errorf("kustomization image %s: %w", name, err)
		}
	}
	if u.Digest != "" || lookup(entry, "digest") != nil {
		if err := doc.set(entry, "digest", u.Digest); err != nil {
			return fmt.Errorf("kustomization image %s: %w", name, err)
		}
	}
	return nil
}
