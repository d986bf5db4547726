package v1alpha1

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

// readManifest returns a manifest from testdata.
func readManifest(t *testing.T, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read manifest: %v", err)
	}
	return string(data)
}

// decodeStrict decodes a manifest the way capstan reads user input: unknown or
// duplicate fields are errors.
func decodeStrict[T any](t *testing.T, manifest string) *T {
	t.Helper()
	obj := new(T)
	if err := yaml.UnmarshalStrict([]byte(manifest), obj); err != nil {
		t.Fatalf("strict decode: %v", err)
	}
	return obj
}

// wireDiff re-encodes obj, decoded from manifest, and returns how the two
// differ as generic maps; empty means every field survived the round trip.
//
// One difference is allowed, and only this one: a field that is false in the
// manifest may be missing from the output. Argo CD declares such booleans
// (automated.allowEmpty, helm.skipCrds, ...) as bool with omitempty, so Argo CD
// itself writes them back this way. A false *bool (automated.enabled) is not
// dropped by the encoder, so the rule never hides it.
func wireDiff(t *testing.T, manifest string, obj any) string {
	t.Helper()
	var in, out map[string]any
	if err := yaml.Unmarshal([]byte(manifest), &in); err != nil {
		t.Fatalf("decode manifest as a map: %v", err)
	}
	encoded, err := yaml.Marshal(obj)
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if err := yaml.Unmarshal(encoded, &out); err != nil {
		t.Fatalf("decode re-encoded object as a map: %v", err)
	}
	return cmp.Diff(withoutDroppedFalse(in, out), any(out))
}

// withoutDroppedFalse returns in without the false booleans that out omits.
func withoutDroppedFalse(in, out any) any {
	switch in := in.(type) {
	case map[string]any:
		outMap, _ := out.(map[string]any)
		kept := make(map[string]any, len(in))
		for k, v := range in {
			outV, present := outMap[k]
			if v == false && !present {
				continue
			}
			kept[k] = withoutDroppedFalse(v, outV)
		}
		return kept
	case []any:
		outList, _ := out.([]any)
		kept := make([]any, len(in))
		for i, v := range in {
			var outV any
			if i < len(outList) {
				outV = outList[i]
			}
			kept[i] = withoutDroppedFalse(v, outV)
		}
		return kept
	default:
		return in
	}
}

func TestWireDiffAllowsOnlyDroppedFalse(t *testing.T) {
	tests := []struct {
		name     string
		manifest string
		encoded  any
		wantDiff bool
	}{
		{
			name:     "false omitted",
			manifest: "a: {b: false, c: 1}",
			encoded:  map[string]any{"a": map[string]any{"c": 1}},
		},
		{
			name:     "false kept",
			manifest: "a: {b: false}",
			encoded:  map[string]any{"a": map[string]any{"b": false}},
		},
		{
			name:     "true omitted",
			manifest: "a: {b: true}",
			encoded:  map[string]any{"a": map[string]any{}},
			wantDiff: true,
		},
		{
			name:     "empty string omitted",
			manifest: `a: {b: ""}`,
			encoded:  map[string]any{"a": map[string]any{}},
			wantDiff: true,
		},
		{
			name:     "zero omitted",
			manifest: "a: [{b: 0}]",
			encoded:  map[string]any{"a": []any{map[string]any{}}},
			wantDiff: true,
		},
		{
			name:     "field added",
			manifest: "a: {}",
			encoded:  map[string]any{"a": map[string]any{"b": false}},
			wantDiff: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			diff := wireDiff(t, tt.manifest, tt.encoded)
			if (diff != "") != tt.wantDiff {
				t.Errorf("wireDiff = %q, want a difference: %v", diff, tt.wantDiff)
			}
		})
	}
}
