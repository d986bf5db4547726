package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"sigs.k8s.io/yaml"
)

// Output formats of -o.
const (
	outputWide  = "wide"
	outputTable = ""
	outputJSON  = "json"
	outputYAML  = "yaml"
	outputName  = "name"
)

// checkOutput refuses a format the command does not print.
func checkOutput(format string, allowed ...string) error {
	for _, a := range allowed {
		if format == a {
			return nil
		}
	}
	return fmt.Errorf("unknown output format %q: want one of %s", format, strings.Join(allowed, ", "))
}

// printStructured prints v as JSON or YAML; ok is false for other formats.
func printStructured(w io.Writer, format string, v any) (bool, error) {
	switch format {
	case outputJSON:
		data, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return true, err
		}
		_, err = fmt.Fprintf(w, "%s\n", data)
		return true, err
	case outputYAML:
		data, err := yaml.Marshal(v)
		if err != nil {
			return true, err
		}
		_, err = w.Write(data)
		return true, err
	}
	return false, nil
}

// table writes aligned columns, the way Argo CD's CLI prints them.
type table struct {
	tw *tabwriter.Writer
}

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(headers) > 0 {
		t.row(headers...)
	}
	return t
}

// row adds a row; an empty cell stays empty.
func (t *table) row(cells ...string) {
	_, _ = fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// fields prints "Label:  value" lines aligned like Argo CD's `app get`.
func fields(w io.Writer, kv ...[2]string) {
	for _, f := range kv {
		_, _ = fmt.Fprintf(w, "%-20s%s\n", f[0]+":", f[1])
	}
}

// orNone is s, or <none> when s is empty.
func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}
