package render

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/strvals"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// helmValues merges the values a source gives its chart, in the order Argo
// CD gives them to Helm, later ones winning: the value files in order, then
// the inline values (valuesObject, or values when there is no object), then
// the parameters (`--set`), the string parameters (`--set-string`) and the
// file parameters (`--set-file`). The chart's own values.yaml is not here:
// Helm applies it underneath. It returns the files it read.
func helmValues(req Request, root *tree, dir string, opts v1alpha1.ApplicationSourceHelm) (map[string]any, []string, error) {
	vals := map[string]any{}
	var inputs []string
	for _, f := range opts.ValueFiles {
		base, path, err := resolveValuePath(root.path, dir, req.Refs, f)
		if err != nil {
			return nil, nil, fmt.Errorf("value file %w", err)
		}
		data, err := readValueFile(root, base, path)
		if errors.Is(err, fs.ErrNotExist) && opts.IgnoreMissingValueFiles {
			continue
		}
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil, fmt.Errorf("value file %s: not found", f)
		}
		if err != nil {
			return nil, nil, fmt.Errorf("value file %s: %w", f, err)
		}
		parsed, err := chartutil.ReadValues(data)
		if err != nil {
			return nil, nil, fmt.Errorf("value file %s: %w", f, err)
		}
		vals = mergeValues(vals, parsed)
		inputs = append(inputs, path)
	}

	inline, err := inlineValues(opts)
	if err != nil {
		return nil, nil, err
	}
	vals = mergeValues(vals, inline)

	if err := setParameters(vals, opts.Parameters); err != nil {
		return nil, nil, err
	}
	for _, p := range opts.FileParameters {
		base, path, err := resolveValuePath(root.path, dir, req.Refs, p.Path)
		if err != nil {
			return nil, nil, fmt.Errorf("file parameter %s: %w", p.Name, err)
		}
		data, err := readValueFile(root, base, path)
		if err != nil {
			return nil, nil, fmt.Errorf("file parameter %s: read %s: %w", p.Name, p.Path, err)
		}
		content := func([]rune) (any, error) { return string(data), nil }
		if err := strvals.ParseIntoFile(p.Name+"=file", vals, content); err != nil {
			return nil, nil, fmt.Errorf("file parameter %s: %w", p.Name, err)
		}
		inputs = append(inputs, path)
	}
	return vals, inputs, nil
}

// readValueFile reads path through the tree of base: the repository's
// own, or the root of another source named by a ref.
func readValueFile(root *tree, base, path string) ([]byte, error) {
	if base == root.path {
		return root.readFile(path)
	}
	t, err := openTree(base)
	if err != nil {
		return nil, err
	}
	defer t.close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	return t.readFile(abs)
}

// inlineValues parses the values written in the Application itself.
// valuesObject wins over values when both are set.
func inlineValues(opts v1alpha1.ApplicationSourceHelm) (map[string]any, error) {
	if opts.ValuesObject != nil && len(opts.ValuesObject.Raw) > 0 {
		var m map[string]any
		if err := yaml.Unmarshal(opts.ValuesObject.Raw, &m); err != nil {
			return nil, fmt.Errorf("helm valuesObject: %w", err)
		}
		return m, nil
	}
	if strings.TrimSpace(opts.Values) == "" {
		return nil, nil
	}
	m, err := chartutil.ReadValues([]byte(opts.Values))
	if err != nil {
		return nil, fmt.Errorf("helm values: %w", err)
	}
	return m, nil
}

// setParameters applies the parameters with Helm's `--set` syntax: all the
// plain ones first, then those forced to strings, as Helm orders its flags.
func setParameters(vals map[string]any, params []v1alpha1.HelmParameter) error {
	for _, forced := range []bool{false, true} {
		for _, p := range params {
			if p.ForceString != forced {
				continue
			}
			expr := p.Name + "=" + escapeSetValue(p.Value)
			parse := strvals.ParseInto
			if forced {
				parse = strvals.ParseIntoString
			}
			if err := parse(expr, vals); err != nil {
				return fmt.Errorf("parameter %s: %w", p.Name, err)
			}
		}
	}
	return nil
}

// escapeSetValue makes a parameter's commas literal, since `--set` would
// otherwise read them as separators of further assignments. A value in
// braces is a list and keeps its commas; a comma already escaped stays so.
func escapeSetValue(v string) string {
	if strings.HasPrefix(v, "{") && strings.HasSuffix(v, "}") {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		if v[i] == ',' && (i == 0 || v[i-1] != '\\') {
			b.WriteByte('\\')
		}
		b.WriteByte(v[i])
	}
	return b.String()
}

// mergeValues overlays src on dst: maps merge key by key, anything else in
// src replaces what dst had. dst is modified and returned.
func mergeValues(dst, src map[string]any) map[string]any {
	if dst == nil {
		dst = map[string]any{}
	}
	for k, v := range src {
		if sub, ok := v.(map[string]any); ok {
			if have, ok := dst[k].(map[string]any); ok {
				dst[k] = mergeValues(have, sub)
				continue
			}
		}
		dst[k] = v
	}
	return dst
}
