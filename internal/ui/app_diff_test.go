package ui

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLineDiff(t *testing.T) {
	for _, tc := range []struct {
		name      string
		old, new  string
		unified   []string
		splitRows []string
	}{{
		name: "same",
		old:  "a\nb", new: "a\nb",
	}, {
		name: "one line changed, with context",
		old:  "1\n2\n3\n4\n5\n6\n7\n8\n9", new: "1\n2\n3\n4\nFIVE\n6\n7\n8\n9",
		unified:   []string{"@@@ -2,7 +2,7 @@", " 2", " 3", " 4", "-5", "+FIVE", " 6", " 7", " 8"},
		splitRows: []string{"hunk", "equal 2|2", "equal 3|3", "equal 4|4", "replace 5|FIVE", "equal 6|6", "equal 7|7", "equal 8|8"},
	}, {
		name: "added and removed lines leave a gap on the other side",
		old:  "a\nb\nc", new: "a\nc\nd",
		unified:   []string{"@@@ -1,3 +1,3 @@", " a", "-b", " c", "+d"},
		splitRows: []string{"hunk", "equal a|a", "delete b|", "equal c|c", "insert |d"},
	}, {
		name: "missing live object: all added",
		old:  "", new: "x\ny",
		unified:   []string{"@@@ -1,0 +1,2 @@", "+x", "+y"},
		splitRows: []string{"hunk", "insert |x", "insert |y"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			u, s := lineDiff(splitLines(tc.old), splitLines(tc.new))
			var gotU, gotS []string
			for _, l := range u {
				gotU = append(gotU, l.Op+l.Text)
			}
			for _, r := range s {
				if r.Kind == "hunk" {
					gotS = append(gotS, r.Kind)
					continue
				}
				gotS = append(gotS, r.Kind+" "+r.Left+"|"+r.Right)
			}
			if diff := cmp.Diff(tc.unified, gotU); diff != "" {
				t.Errorf("unified (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.splitRows, gotS); diff != "" {
				t.Errorf("side by side (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLineDiffNumbersLines(t *testing.T) {
	u, s := lineDiff([]string{"a", "b"}, []string{"a", "c"})
	wantU := []diffLine{{Op: "@", Text: "@@ -1,2 +1,2 @@", HunkHeader: true}, {Op: " ", Text: "a", Old: 1, New: 1}, {Op: "-", Text: "b", Old: 2}, {Op: "+", Text: "c", New: 2}}
	if diff := cmp.Diff(wantU, u); diff != "" {
		t.Errorf("unified (-want +got):\n%s", diff)
	}
	wantS := []diffRow{{Kind: "hunk", Left: "@@ -1,2 +1,2 @@"}, {Kind: "equal", Left: "a", Right: "a", LeftNo: 1, RightNo: 1}, {Kind: "replace", Left: "b", Right: "c", LeftNo: 2, RightNo: 2}}
	if diff := cmp.Diff(wantS, s); diff != "" {
		t.Errorf("side by side (-want +got):\n%s", diff)
	}
}

func TestDiffManifests(t *testing.T) {
	for _, tc := range []struct {
		name          string
		live, desired string
		wantLive      string
		wantSame      bool
		wantChanged   []string
	}{{
		name:     "what the cluster adds is not a difference",
		live:     `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c","uid":"1","resourceVersion":"9"},"data":{"k":"v"}}`,
		desired:  `{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c"},"data":{"k":"v"}}`,
		wantLive: "apiVersion: v1\ndata:\n  k: v\nkind: ConfigMap\nmetadata:\n  name: c\n",
		wantSame: true,
	}, {
		name:        "a changed value in a list item",
		live:        `{"spec":{"containers":[{"name":"a","image":"nginx:1","imagePullPolicy":"IfNotPresent"}]},"status":{"x":1}}`,
		desired:     `{"spec":{"containers":[{"name":"a","image":"nginx:2"}]}}`,
		wantLive:    "spec:\n  containers:\n  - image: nginx:1\n    name: a\n",
		wantChanged: []string{"-  - image: nginx:1", "+  - image: nginx:2"},
	}, {
		name:        "a field the cluster lacks is added",
		live:        `{"data":{"a":"1"}}`,
		desired:     `{"data":{"a":"1","b":"2"}}`,
		wantLive:    "data:\n  a: \"1\"\n",
		wantChanged: []string{`+  b: "2"`},
	}, {
		name:        "extra live list items are kept",
		live:        `{"l":[1,2]}`,
		desired:     `{"l":[1]}`,
		wantLive:    "l:\n- 1\n- 2\n",
		wantChanged: []string{"-- 2"},
	}, {
		name:        "an object to prune is all removed",
		live:        `{"kind":"Secret"}`,
		desired:     "null",
		wantLive:    "kind: Secret\n",
		wantChanged: []string{"-kind: Secret"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := diffManifests(tc.live, tc.desired)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantLive, d.Live); diff != "" {
				t.Errorf("live (-want +got):\n%s", diff)
			}
			if d.Same != tc.wantSame {
				t.Errorf("Same = %v, want %v", d.Same, tc.wantSame)
			}
			var changed []string
			for _, l := range d.Unified {
				if l.Op == "-" || l.Op == "+" {
					changed = append(changed, l.Op+l.Text)
				}
			}
			if diff := cmp.Diff(tc.wantChanged, changed); diff != "" {
				t.Errorf("changed lines (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffManifestsRejectsBadJSON(t *testing.T) {
	if _, err := diffManifests("{", "{}"); err == nil || !strings.Contains(err.Error(), "live state") {
		t.Errorf("bad live JSON: err = %v, want one naming the live state", err)
	}
	if _, err := diffManifests("{}", "[}"); err == nil || !strings.Contains(err.Error(), "desired state") {
		t.Errorf("bad desired JSON: err = %v, want one naming the desired state", err)
	}
}
