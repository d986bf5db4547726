package imageupdater

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"gopkg.in/yaml.v3"
)

// yamlDoc is a YAML file being edited so that what the edit does not touch
// stays as it was, byte for byte when possible: when every edit replaces a
// single-line scalar, only the bytes of those values change; otherwise the
// document is re-encoded from its node tree, which keeps comments and key
// order but not blank lines or indentation.
type yamlDoc struct {
	src  []byte
	root *yaml.Node // the document's top mapping
	// sets are the scalars whose value changes.
	sets []scalarSet
	// reshaped tells that nodes were added, so bytes cannot be patched.
	reshaped bool
}

type scalarSet struct {
	node  *yaml.Node
	value string
}

// parseYAMLDoc reads a one-document YAML file whose top is a mapping (or
// empty).
func parseYAMLDoc(src []byte) (*yamlDoc, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, err
	}
	d := &yamlDoc{src: src}
	switch {
	case doc.Kind == 0:
		d.root = &yaml.Node{Kind: yaml.MappingNode}
		d.reshaped = true
	case len(doc.Content) == 1 && doc.Content[0].Kind == yaml.MappingNode:
		d.root = doc.Content[0]
	default:
		return nil, fmt.Errorf("the top of the document is not a mapping")
	}
	return d, nil
}

// mapping returns the mapping under key in m, creating it when missing.
func (d *yamlDoc) mapping(m *yaml.Node, key string) (*yaml.Node, error) {
	return d.child(m, key, yaml.MappingNode, "a mapping")
}

// sequence returns the list under key in m, creating it when missing.
func (d *yamlDoc) sequence(m *yaml.Node, key string) (*yaml.Node, error) {
	return d.child(m, key, yaml.SequenceNode, "a list")
}

func (d *yamlDoc) child(m *yaml.Node, key string, kind yaml.Kind, what string) (*yaml.Node, error) {
	if v := lookup(m, key); v != nil {
		if v.Kind != kind {
			return nil, fmt.Errorf("%s is not %s", key, what)
		}
		return v, nil
	}
	v := &yaml.Node{Kind: kind}
	d.add(m, key, v)
	return v, nil
}

// add appends key: v to the mapping m.
func (d *yamlDoc) add(m *yaml.Node, key string, v *yaml.Node) {
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key}, v)
	d.reshaped = true
}

// set gives the scalar under key in m the string value, adding it when
// missing.
func (d *yamlDoc) set(m *yaml.Node, key, value string) error {
	v := lookup(m, key)
	switch {
	case v == nil:
		d.add(m, key, stringNode(value))
	case v.Kind != yaml.ScalarNode:
		return fmt.Errorf("%s is not a scalar", key)
	case v.Value != value || v.Tag != "!!str":
		d.sets = append(d.sets, scalarSet{node: v, value: value})
	}
	return nil
}

// changed reports whether the edits change the document.
func (d *yamlDoc) changed() bool { return d.reshaped || len(d.sets) > 0 }

// bytes returns the edited document.
func (d *yamlDoc) bytes() ([]byte, error) {
	if !d.reshaped {
		if out, ok := d.patch(); ok {
			return out, nil
		}
	}
	for _, s := range d.sets {
		n := stringNode(s.value)
		s.node.Value, s.node.Tag, s.node.Style = n.Value, n.Tag, n.Style
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(d.root); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// patch replaces the bytes of each changed value, when each is a scalar on
// one line whose extent in the source is known.
func (d *yamlDoc) patch() ([]byte, bool) {
	lines := lineStarts(d.src)
	type span struct {
		from, to int
		text     string
	}
	spans := make([]span, 0, len(d.sets))
	for _, s := range d.sets {
		n := s.node
		if n.Line < 1 || n.Line > len(lines) || strings.Contains(n.Value, "\n") {
			return nil, false
		}
		from := lines[n.Line-1] + n.Column - 1
		to, ok := scalarEnd(d.src, from, n)
		if !ok {
			return nil, false
		}
		spans = append(spans, span{from, to, scalarText(s.value, n.Style)})
	}
	slices.SortFunc(spans, func(a, b span) int { return b.from - a.from })
	out := slices.Clone(d.src)
	for _, s := range spans {
		out = slices.Concat(out[:s.from], []byte(s.text), out[s.to:])
	}
	return out, true
}

// scalarEnd is the offset just past the scalar n that starts at from.
func scalarEnd(src []byte, from int, n *yaml.Node) (int, bool) {
	if from >= len(src) {
		return 0, false
	}
	switch n.Style {
	case 0:
		// An empty plain scalar (key: with nothing after) has no extent.
		end := from + len(n.Value)
		return end, n.Value != "" && end <= len(src) && string(src[from:end]) == n.Value
	case yaml.DoubleQuotedStyle:
		for i := from + 1; i < len(src) && src[i] != '\n'; i++ {
			switch src[i] {
			case '\\':
				i++
			case '"':
				return i + 1, src[from] == '"'
			}
		}
	case yaml.SingleQuotedStyle:
		for i := from + 1; i < len(src) && src[i] != '\n'; i++ {
			if src[i] == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, src[from] == '\''
			}
		}
	}
	return 0, false
}

// scalarText writes value as a string scalar in the style of the one it
// replaces, quoted when a plain scalar would read as something else. The
// scalar may stand in a flow collection ({tag: 1.0}), where the parser
// reads plain scalars by stricter rules than in a block ({tag: 0?0} does
// not parse): a value stays plain only if it is made of the characters of
// a version or an image reference, wherever it stands.
func scalarText(value string, style yaml.Style) string {
	switch {
	case style == yaml.SingleQuotedStyle && printable(value):
		return "'" + strings.ReplaceAll(value, "'", "''") + "'"
	case style == yaml.DoubleQuotedStyle || !plainString(value) || strings.ContainsFunc(value, notPlainSafe):
		return strconv.Quote(value)
	}
	return value
}

// notPlainSafe reports whether r is outside the characters that a plain
// scalar may hold in a block or a flow collection alike: letters, digits
// and . _ - + / : @ (ghcr.io/org/web:1.1.0, web@sha256:...). A colon that
// would end the scalar (at its end, or before a space) already fails
// plainString.
func notPlainSafe(r rune) bool {
	return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("._-+/:@", r))
}

// printable reports whether value has only printable characters, which is
// all a single-quoted scalar can hold.
func printable(value string) bool {
	return !strings.ContainsFunc(value, func(r rune) bool { return !unicode.IsPrint(r) })
}

// plainString reports whether value reads back as the same string when
// written as a plain scalar.
func plainString(value string) bool {
	out, err := yaml.Marshal(value)
	return err == nil && string(out) == value+"\n"
}

func stringNode(value string) *yaml.Node {
	n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: value}
	if !plainString(value) {
		n.Style = yaml.DoubleQuotedStyle
	}
	return n
}

// lookup returns the value under key in the mapping m, or nil.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func lineStarts(src []byte) []int {
	starts := []int{0}
	for i, b := range src {
		if b == '\n' {
			starts = append(starts, i+1)
		}
	}
	return starts
}
