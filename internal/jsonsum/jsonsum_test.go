package jsonsum

import (
	"crypto/sha256"
	"encoding/json"
	"math"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// marshalSum is what Sum256 must equal: the digest of Marshal's bytes.
func marshalSum(v any) ([sha256.Size]byte, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return [sha256.Size]byte{}, err
	}
	return sha256.Sum256(data), nil
}

func checkSum(t *testing.T, what string, v any) {
	t.Helper()
	want, wantErr := marshalSum(v)
	got, err := Sum256(v)
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%s: Sum256 error %v, Marshal error %v", what, err, wantErr)
	}
	if err == nil && got != want {
		data, _ := json.Marshal(v)
		t.Fatalf("%s: Sum256 = %x, the digest of Marshal's %s is %x", what, got, data, want)
	}
}

func TestSum256IsTheDigestOfMarshal(t *testing.T) {
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(w1Deployment), &obj); err != nil {
		t.Fatal(err)
	}
	// What Marshal escapes, what it writes as it is, and empty values.
	obj["metadata"].(map[string]any)["annotations"].(map[string]any)["note"] = "a <b> & \"c\"\n"
	pod := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)
	pod["containers"].([]any)[0].(map[string]any)["args"] = []any{"--ratio=0.5", "--name=caf\u00e9", "line\u2028sep"}
	pod["tolerations"], pod["nodeSelector"], pod["priority"] = []any{}, map[string]any{}, nil
	checkSum(t, "a Deployment as YAML decodes it", obj)
	checkSum(t, "a Deployment with whole numbers as int64", wholeAsInt(obj))
	for what, v := range map[string]any{
		"nil":                         nil,
		"nil map":                     map[string]any(nil),
		"nil list":                    []any(nil),
		"empty map":                   map[string]any{},
		"empty list":                  []any{},
		"int64":                       map[string]any{"n": int64(-42), "max": int64(math.MaxInt64)},
		"other integers":              map[string]any{"int": 7, "int32": int32(-3), "uint": uint(9)},
		"floats":                      []any{0.5, 1e21, 1e-7, -0.0, 3.0, float32(0.1), 123456789.125},
		"bools":                       []any{true, false},
		"strings Marshal escapes":     []any{"<html>", "a&b", `q"uote`, `back\slash`, "tab\t", "nul\x00", "del\x7f", "\xff\xfe invalid", "\u2029"},
		"a long plain string":         strings.Repeat("abcdefgh", 300),
		"a long string that escapes":  strings.Repeat("<tag>", 400),
		"keys that sort bytewise":     map[string]any{"b": 1, "B": 2, "a": 3, "ä": 4, "aa": 5, "": 6, "<": 7},
		"nested maps":                 map[string]any{"z": map[string]any{"y": map[string]any{"x": []any{map[string]any{"w": "v", "u": nil}}}}, "a": "b"},
		"other types":                 map[string]any{"strings": []string{"a", "b"}, "number": json.Number("12.50"), "raw": json.RawMessage(`{"b":1, "a":2}`)},
		"keys outnumbering the flush": bigMap(200),
	} {
		checkSum(t, what, v)
	}
}

func bigMap(n int) map[string]any {
	m := map[string]any{}
	for i := range n {
		m[strings.Repeat("k", i%7)+string(rune('a'+i%26))+strings.Repeat("x", i)] = map[string]any{"i": int64(i), "s": strings.Repeat("v", i)}
	}
	return m
}

// A value Marshal refuses is refused with its error.
func TestSum256RefusesWhatMarshalRefuses(t *testing.T) {
	for what, v := range map[string]any{
		"NaN":       map[string]any{"a": math.NaN()},
		"infinity":  []any{"x", math.Inf(1)},
		"a channel": map[string]any{"c": make(chan int)},
		"a cycle":   cycle(),
	} {
		if _, err := Sum256(v); err == nil {
			t.Errorf("%s: Sum256 gave no error", what)
		}
	}
}

// cycle is a map that holds itself, which no decoder makes.
func cycle() map[string]any {
	m := map[string]any{"name": "loop"}
	m["self"] = []any{m}
	return m
}

// FuzzSum256 checks Sum256 against Marshal on what JSON decodes to, with
// whole numbers also as int64 (as Kubernetes decodes them), and on
// strings of any bytes.
func FuzzSum256(f *testing.F) {
	f.Add([]byte(`{"a":[1,2.5,"<x>",null,true,{"b":{}}],"":"\u2028"}`))
	f.Add([]byte("\xff\"plain\\"))
	f.Add([]byte(`[1e300, -0, 1e-7, "caf\u00e9"]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			checkSum(t, "a string", string(data))
			return
		}
		checkSum(t, "decoded JSON", v)
		checkSum(t, "decoded JSON, whole numbers as int64", wholeAsInt(v))
	})
}

func wholeAsInt(v any) any {
	switch v := v.(type) {
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<62 {
			return int64(v)
		}
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, item := range v {
			out[k] = wholeAsInt(item)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, item := range v {
			out[i] = wholeAsInt(item)
		}
		return out
	}
	return v
}

// w1Deployment is a Deployment of the benchmark's workload W1, as capstan
// renders and tracks it.
const w1Deployment = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: app-0001
  namespace: app-0001
  labels: {app: web, capstan.dev/managed: "true"}
  annotations: {argocd.argoproj.io/tracking-id: "app-0001:apps/Deployment:app-0001/app-0001"}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.invalid/web:1.0
        ports: [{containerPort: 8080}]
        resources: {limits: {cpu: 100m, memory: 64Mi}}
`

// BenchmarkSum256 digests a Deployment as each pass digests its desired
// objects, against Marshal and sha256.Sum256.
func BenchmarkSum256(b *testing.B) {
	var decoded map[string]any
	if err := yaml.Unmarshal([]byte(w1Deployment), &decoded); err != nil {
		b.Fatal(err)
	}
	obj := wholeAsInt(decoded)
	b.Run("Sum256", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Sum256(obj); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := marshalSum(obj); err != nil {
				b.Fatal(err)
			}
		}
	})
}
