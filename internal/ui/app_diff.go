package ui

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pmezard/go-difflib/difflib"
	"sigs.k8s.io/yaml"
)

// diffContext is how many unchanged lines a diff shows around a change.
const diffContext = 3

// diffLine is one line of a unified diff: Op is ' ', '-' (only in the
// live state) or '+' (only in the desired state); a hunk starts with a
// line of Op '@' that says where it is.
type diffLine struct {
	Op         string
	Text       string
	Old, New   int // line numbers, 0 where the side has none
	HunkHeader bool
}

// diffRow is one row of a side-by-side diff: the live line on the left,
// the desired one on the right. Kind is "equal", "delete", "insert" or
// "replace"; a hunk starts with a row of Kind "hunk".
type diffRow struct {
	Kind                string
	Left, Right         string
	LeftNo, RightNo     int
	LeftGone, RightGone bool // the side has no line in this row
}

// manifestDiff is the difference between an object's live and desired
// states, ready to draw both ways.
type manifestDiff struct {
	Live, Desired string
	Unified       []diffLine
	Split         []diffRow
	// Same is set when the two states do not differ.
	Same bool
}

// diffManifests compares the live and desired states of an object, each
// a JSON document as the API sends them ("" or "null" for an object
// missing on that side). The live state is first trimmed to the fields
// the desired one sets, as server-side apply compares them, so that what
// the cluster adds (status, defaults, metadata) does not hide the change.
func diffManifests(liveJSON, desiredJSON string) (manifestDiff, error) {
	live, err := decodeState(liveJSON)
	if err != nil {
		return manifestDiff{}, fmt.Errorf("live state: %w", err)
	}
	desired, err := decodeState(desiredJSON)
	if err != nil {
		return manifestDiff{}, fmt.Errorf("desired state: %w", err)
	}
	if live != nil && desired != nil {
		live = trimTo(live, desired)
	}
	var d manifestDiff
	if d.Live, err = toYAML(live); err != nil {
		return d, err
	}
	if d.Desired, err = toYAML(desired); err != nil {
		return d, err
	}
	d.Unified, d.Split = lineDiff(splitLines(d.Live), splitLines(d.Desired))
	d.Same = len(d.Unified) == 0
	return d, nil
}

// decodeState parses a JSON state; nil for a missing object.
func decodeState(s string) (any, error) {
	if s == "" || s == "null" {
		return nil, nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, err
	}
	return v, nil
}

// toYAML writes a state as YAML, keys sorted; "" for a missing object.
func toYAML(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := yaml.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("write YAML: %w", err)
	}
	return string(b), nil
}

// manifestYAML is a JSON manifest of the API written as YAML.
func manifestYAML(s string) (string, error) {
	v, err := decodeState(s)
	if err != nil {
		return "", err
	}
	return toYAML(v)
}

// trimTo keeps of live the fields that want sets: map keys that want has,
// list items by position (extra live items kept whole). Other values are
// kept as they are.
func trimTo(live, want any) any {
	switch w := want.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return live
		}
		out := make(map[string]any, len(w))
		for k, wv := range w {
			if lv, ok := l[k]; ok {
				out[k] = trimTo(lv, wv)
			}
		}
		return out
	case []any:
		l, ok := live.([]any)
		if !ok {
			return live
		}
		out := make([]any, len(l))
		for i, lv := range l {
			if i < len(w) {
				out[i] = trimTo(lv, w[i])
			} else {
				out[i] = lv
			}
		}
		return out
	}
	return live
}

// splitLines splits text into lines without their line ends.
func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}

// lineDiff compares two texts line by line, from old (live) to new
// (desired), and returns the changes with diffContext lines of context,
// unified and side by side; both empty when the texts are the same.
func lineDiff(old, new []string) ([]diffLine, []diffRow) {
	m := difflib.NewMatcherWithJunk(old, new, false, nil)
	var unified []diffLine
	var split []diffRow
	for _, group := range m.GetGroupedOpCodes(diffContext) {
		first, last := group[0], group[len(group)-1]
		header := fmt.Sprintf("@@ -%d,%d +%d,%d @@", first.I1+1, last.I2-first.I1, first.J1+1, last.J2-first.J1)
		unified = append(unified, diffLine{Op: "@", Text: header, HunkHeader: true})
		split = append(split, diffRow{Kind: "hunk", Left: header})
		for _, op := range group {
			unified = append(unified, unifiedLines(op, old, new)...)
			split = append(split, splitRows(op, old, new)...)
		}
	}
	return unified, split
}

func unifiedLines(op difflib.OpCode, old, new []string) []diffLine {
	var out []diffLine
	if op.Tag == 'e' {
		for i := op.I1; i < op.I2; i++ {
			out = append(out, diffLine{Op: " ", Text: old[i], Old: i + 1, New: op.J1 + i - op.I1 + 1})
		}
		return out
	}
	for i := op.I1; i < op.I2; i++ {
		out = append(out, diffLine{Op: "-", Text: old[i], Old: i + 1})
	}
	for j := op.J1; j < op.J2; j++ {
		out = append(out, diffLine{Op: "+", Text: new[j], New: j + 1})
	}
	return out
}

func splitRows(op difflib.OpCode, old, new []string) []diffRow {
	kind := map[byte]string{'e': "equal", 'd': "delete", 'i': "insert", 'r': "replace"}[op.Tag]
	n := max(op.I2-op.I1, op.J2-op.J1)
	out := make([]diffRow, 0, n)
	for k := range n {
		row := diffRow{Kind: kind}
		if i := op.I1 + k; i < op.I2 {
			row.Left, row.LeftNo = old[i], i+1
		} else {
			row.LeftGone = true
		}
		if j := op.J1 + k; j < op.J2 {
			row.Right, row.RightNo = new[j], j+1
		} else {
			row.RightGone = true
		}
		out = append(out, row)
	}
	return out
}
