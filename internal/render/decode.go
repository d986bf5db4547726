package render

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/yaml"
)

// decode reads the Kubernetes objects in one manifest file: a YAML stream
// of any number of documents, or a JSON document. Empty documents are
// skipped and the items of List kinds are returned in their place. name is
// the file's path as the user knows it (relative to the repository) and
// appears in every error.
func decode(name string, data []byte) ([]*unstructured.Unstructured, error) {
	var objs []*unstructured.Unstructured
	for i, doc := range splitDocuments(data) {
		v, err := documentValue(doc.text)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, atLine(err, doc, i))
		}
		if v == nil {
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: document %d (line %d): not an object", name, i, doc.bodyLine())
		}
		got, err := objectsOf(obj)
		if err != nil {
			return nil, fmt.Errorf("%s: document %d (line %d): %w", name, i, doc.bodyLine(), err)
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

// document is one YAML document and the zero-based line of the file on
// which it starts, its separator line if it has one.
type document struct {
	text []byte
	line int
}

// bodyLine is the one-based line of the file where the document's content
// starts, after its separator, for messages.
func (d document) bodyLine() int {
	if bytes.HasPrefix(d.text, []byte("---")) {
		return d.line + 2
	}
	return d.line + 1
}

// splitDocuments cuts a YAML stream before each of its `---` lines,
// remembering where each document starts so that parse errors can name the
// line of the file rather than of the document. The separator line stays
// with the document it opens: whatever follows `---` on it (a comment, a
// flow mapping) belongs to that document.
func splitDocuments(data []byte) []document {
	var docs []document
	start, startLine, line := 0, 0, 0
	for off := 0; off < len(data); line++ {
		end := bytes.IndexByte(data[off:], '\n')
		if end < 0 {
			end = len(data) - off
		}
		if off > start && isSeparator(data[off:off+end]) {
			docs = append(docs, document{text: data[start:off], line: startLine})
			start, startLine = off, line
		}
		off += end + 1
	}
	if start < len(data) {
		docs = append(docs, document{text: data[start:], line: startLine})
	}
	return docs
}

// isSeparator reports whether a line starts a new document: `---` alone
// or followed by a space.
func isSeparator(line []byte) bool {
	rest, ok := bytes.CutPrefix(line, []byte("---"))
	return ok && (len(bytes.TrimSpace(rest)) == 0 || rest[0] == ' ' || rest[0] == '\t')
}

// documentValue parses one document into JSON-compatible values, with
// integers as int64 and other numbers as float64, as Kubernetes does.
func documentValue(doc []byte) (any, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, nil
	}
	j, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return nil, err
	}
	var v any
	if err := utiljson.Unmarshal(j, &v); err != nil {
		return nil, err
	}
	return v, nil
}

var yamlLine = regexp.MustCompile(`^(?:error converting YAML to JSON: )?yaml: line (\d+): (.*)$`)

// atLine rewrites a YAML parser error, whose line numbers count from the
// start of the document, to name the line of the file.
func atLine(err error, doc document, index int) error {
	m := yamlLine.FindStringSubmatch(err.Error())
	if m == nil {
		return fmt.Errorf("document %d (line %d): %w", index, doc.bodyLine(), err)
	}
	n, _ := strconv.Atoi(m[1])
	return fmt.Errorf("line %d: %s", doc.line+n, m[2])
}

// objectsOf checks that a decoded document is a Kubernetes object and
// flattens it when it is a List, and Lists inside it.
func objectsOf(obj map[string]any) ([]*unstructured.Unstructured, error) {
	if err := checkTypeMeta(obj); err != nil {
		return nil, err
	}
	kind := obj["kind"].(string)
	items, isList := obj["items"].([]any)
	if !strings.HasSuffix(kind, "List") || !isList {
		return []*unstructured.Unstructured{{Object: obj}}, nil
	}
	out := make([]*unstructured.Unstructured, 0, len(items))
	for i, item := range items {
		m, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s item %d: not an object", kind, i)
		}
		got, err := objectsOf(m)
		if err != nil {
			return nil, fmt.Errorf("%s item %d: %w", kind, i, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

func checkTypeMeta(obj map[string]any) error {
	var missing []string
	for _, field := range []string{"apiVersion", "kind"} {
		if s, _ := obj[field].(string); s == "" {
			missing = append(missing, field)
		}
	}
	if len(missing) > 0 {
		return errors.New("object has no " + strings.Join(missing, " and "))
	}
	return nil
}
