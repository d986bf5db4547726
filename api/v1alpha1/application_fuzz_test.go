package v1alpha1

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// FuzzDecodeApplication checks that any manifest capstan accepts survives being
// stored: YAML decode → JSON encode → JSON decode yields the same Application.
//
// The object is encoded as JSON because that is what goes to the API server.
// Re-encoding as YAML would test go-yaml's emitter instead, which writes some
// characters (U+0085 NEL) unescaped in single-quoted scalars, where reading the
// YAML back folds them into spaces.
//
// "The same" allows for what the wire format cannot carry, and nothing else:
//   - omitempty drops empty lists and maps, so nil and empty are equal;
//   - metav1.Time is written in whole seconds, so times are equal to the second;
//   - free-form JSON (RawExtension, FieldsV1) is equal when it means the same
//     JSON value, whatever its spelling.
func FuzzDecodeApplication(f *testing.F) {
	for _, file := range []string{"application-guestbook.yaml", "application-full.yaml", "application-plugin.yaml"} {
		seed, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			f.Fatalf("read seed: %v", err)
		}
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, manifest []byte) {
		var first Application
		if err := yaml.UnmarshalStrict(manifest, &first); err != nil {
			return
		}
		encoded, err := json.Marshal(&first)
		if err != nil {
			t.Fatalf("encode a decoded Application: %v", err)
		}
		var second Application
		dec := json.NewDecoder(bytes.NewReader(encoded))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&second); err != nil {
			if strings.Contains(err.Error(), "parsing time") {
				// apimachinery writes times in UTC; a time near year 0 or 9999
				// with a zone offset lands outside the four-digit years RFC 3339
				// can parse back. That is metav1.Time's limit, not this package's.
				t.Skipf("timestamp outside RFC 3339 years after UTC conversion: %v", err)
			}
			t.Fatalf("decode a re-encoded Application: %v\n%s", err, encoded)
		}
		if diff := cmp.Diff(&first, &second, wireEquivalence...); diff != "" {
			t.Errorf("decode → encode → decode changed the Application (-first +second):\n%s\nre-encoded:\n%s", diff, encoded)
		}
	})
}

var wireEquivalence = []cmp.Option{
	cmpopts.EquateEmpty(),
	cmp.Comparer(func(a, b metav1.Time) bool { return a.Unix() == b.Unix() }),
	cmp.Comparer(func(a, b runtime.RawExtension) bool { return sameJSON(a.Raw, b.Raw) }),
	cmp.Comparer(func(a, b metav1.FieldsV1) bool { return sameJSON(a.Raw, b.Raw) }),
}

func sameJSON(a, b []byte) bool {
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return string(a) == string(b)
	}
	return cmp.Equal(va, vb)
}
