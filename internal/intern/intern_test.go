package intern

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

type inner struct {
	Name  string
	Kinds []string
}

type outer struct {
	Namespace string
	Status    *inner
	Items     []inner
	Ptrs      []*inner
	Labels    map[string]string
	Raw       []byte
	hidden    string
}

func sample(ns string) *outer {
	c := strings.Clone
	return &outer{
		Namespace: c(ns),
		Status:    &inner{Name: c("web"), Kinds: []string{c("Deployment"), c("Service")}},
		Items:     []inner{{Name: c("web")}},
		Ptrs:      []*inner{{Name: c("db")}, nil},
		Labels:    map[string]string{c("app"): c("web")},
		Raw:       []byte(`{"a":1}`),
		hidden:    c("secret"),
	}
}

func TestFieldsShareStrings(t *testing.T) {
	var tab Table
	a, b := sample("shop"), sample("shop")
	want := sample("shop")
	tab.Fields(a)
	tab.Fields(b)
	if diff := cmp.Diff(want, a, cmp.AllowUnexported(outer{})); diff != "" {
		t.Errorf("Fields changed a value (-want +got):\n%s", diff)
	}
	same := func(what string, x, y string) {
		t.Helper()
		if unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: two copies of %q", what, x)
		}
	}
	same("namespace", a.Namespace, b.Namespace)
	same("pointer to struct", a.Status.Name, b.Status.Name)
	same("slice of strings", a.Status.Kinds[1], b.Status.Kinds[1])
	same("slice of structs", a.Items[0].Name, b.Items[0].Name)
	same("across fields", a.Items[0].Name, b.Status.Name)
	same("slice of pointers", a.Ptrs[0].Name, b.Ptrs[0].Name)
	if unsafe.StringData(a.hidden) == unsafe.StringData(b.hidden) {
		t.Error("an unexported field was changed")
	}
	tab.Fields(nil)
	tab.Fields((*outer)(nil))
}

func TestStringSkipsLongAndEmpty(t *testing.T) {
	var tab Table
	long := strings.Repeat("x", MaxLen+1)
	if tab.String(long); tab.Len() != 0 {
		t.Errorf("a string of %d bytes was kept", len(long))
	}
	if tab.String(""); tab.Len() != 0 {
		t.Error("the empty string was kept")
	}
}

func TestTableIsBounded(t *testing.T) {
	var tab Table
	first := tab.String(strings.Clone("first"))
	for i := range Limit + 10 {
		tab.String(strconv.Itoa(i))
	}
	if n := tab.Len(); n > Limit {
		t.Errorf("table holds %d strings, more than %d", n, Limit)
	}
	// Once afresh, the table shares again what it is given.
	again := tab.String(strings.Clone("first"))
	if again != first || unsafe.StringData(tab.String(strings.Clone("first"))) != unsafe.StringData(again) {
		t.Errorf("String(%q) = %q, not shared, once the table started afresh", first, again)
	}
}

// Fields named unique are left as they are and never enter the table:
// their strings differ in every object, and would only fill it.
func TestFieldsLeaveUniqueFields(t *testing.T) {
	var tab Table
	a, b := sample("shop"), sample("shop")
	a.Status.Name, b.Status.Name = strings.Clone("v1"), strings.Clone("v1")
	tab.Fields(a, "Name")
	tab.Fields(b, "Name")
	if unsafe.StringData(a.Status.Name) == unsafe.StringData(b.Status.Name) {
		t.Errorf("a field named unique was shared")
	}
	if unsafe.StringData(a.Namespace) != unsafe.StringData(b.Namespace) {
		t.Errorf("a field not named unique was not shared")
	}
	if unsafe.StringData(a.Status.Kinds[0]) != unsafe.StringData(b.Status.Kinds[0]) {
		t.Errorf("a field beside one named unique was not shared")
	}
	// Namespace and the two kinds.
	if got := tab.Len(); got != 3 {
		t.Errorf("the table holds %d strings, want 3: the unique fields' stayed out", got)
	}
}

// A slice decoded from JSON holds room for more than it has; Fields
// gives that room back, at every depth, and changes no value.
func TestFieldsTrimSlices(t *testing.T) {
	var decoded outer
	doc := `{"Items":[{"Name":"a","Kinds":["x","y","z"]},{"Name":"b"},{"Name":"c"},{"Name":"d"},{"Name":"e"}],
		"Ptrs":[{"Name":"p","Kinds":["x","y","z","w","v"]}],"Status":{"Kinds":[]},"Raw":"eyJhIjoxfQ=="}`
	if err := json.Unmarshal([]byte(doc), &decoded); err != nil {
		t.Fatal(err)
	}
	if cap(decoded.Items) == len(decoded.Items) {
		t.Fatalf("the decoder sized the slice exactly (len %d, cap %d): nothing to trim", len(decoded.Items), cap(decoded.Items))
	}
	var want outer
	_ = json.Unmarshal([]byte(doc), &want)
	var tab Table
	tab.Fields(&decoded)
	if diff := cmp.Diff(&want, &decoded, cmp.AllowUnexported(outer{})); diff != "" {
		t.Errorf("Fields changed a value (-want +got):\n%s", diff)
	}
	trimmed := func(what string, l, c int) {
		t.Helper()
		if c != l {
			t.Errorf("%s: len %d, cap %d", what, l, c)
		}
	}
	trimmed("slice of structs", len(decoded.Items), cap(decoded.Items))
	trimmed("slice in a slice's element", len(decoded.Items[0].Kinds), cap(decoded.Items[0].Kinds))
	trimmed("slice behind a pointer in a slice", len(decoded.Ptrs[0].Kinds), cap(decoded.Ptrs[0].Kinds))
	// An empty list with room to spare loses the room, not the list: nil
	// would be served as null.
	empty := outer{Items: make([]inner, 0, 4)}
	tab.Fields(&empty)
	if empty.Items == nil || cap(empty.Items) != 0 {
		t.Errorf("an empty list with room for 4: nil %v, cap %d", empty.Items == nil, cap(empty.Items))
	}
}
