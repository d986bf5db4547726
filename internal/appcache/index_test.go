package appcache

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// TestIndexFollowsChanges plays random notifications into an index,
// the informer's first list among them, and checks after each that a
// list holds the newest of every Application in name order, and that
// every list taken before is as it was when taken.
func TestIndexFollowsChanges(t *testing.T) {
	for seed := range uint64(20) {
		r := rand.New(rand.NewPCG(seed, 7))
		var x Index
		want := map[string]string{}
		type taken struct {
			apps    []*Application
			content []string
		}
		var lists []taken
		version := 0
		app := func(name string) *Application {
			version++
			return Pack(&v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: strconv.Itoa(version)}})
		}
		// The informer's first list, in its own order.
		for range r.IntN(30) {
			a := app(fmt.Sprintf("app-%02d", r.IntN(40)))
			x.set(a, true)
			want[a.Name] = a.ResourceVersion
		}
		for step := range 200 {
			name := fmt.Sprintf("app-%02d", r.IntN(40))
			switch r.IntN(4) {
			case 0:
				x.remove(app(name))
				delete(want, name)
			case 1:
				apps, _ := x.list()
				lists = append(lists, taken{apps, contentOf(apps)})
			default:
				a := app(name)
				x.set(a, false)
				want[a.Name] = a.ResourceVersion
			}
			apps, newest := x.list()
			got, wantList := contentOf(apps), []string{}
			for _, name := range slices.Sorted(maps.Keys(want)) {
				wantList = append(wantList, name+"@"+want[name])
			}
			if diff := cmp.Diff(wantList, got); diff != "" {
				t.Fatalf("seed %d step %d: list (-want +got):\n%s", seed, step, diff)
			}
			if newest != int64(version) {
				t.Fatalf("seed %d step %d: newest version %d, want %d", seed, step, newest, version)
			}
			for i, l := range lists {
				if diff := cmp.Diff(l.content, contentOf(l.apps)); diff != "" {
					t.Fatalf("seed %d step %d: list %d changed after it was taken (-then +now):\n%s", seed, step, i, diff)
				}
			}
		}
	}
}

// contentOf names each of apps with its version.
func contentOf(apps []*Application) []string {
	out := make([]string, len(apps))
	for i, a := range apps {
		out[i] = a.Name + "@" + a.ResourceVersion
	}
	return out
}

func TestIndexGet(t *testing.T) {
	x := Index{synced: func() bool { return true }} // registered
	a := Pack(&v1alpha1.Application{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "1"}})
	x.set(a, false)
	for _, tc := range []struct {
		name string
		want *Application
	}{{"a", a}, {"b", nil}} {
		if got, err := x.Get(t.Context(), tc.name); err != nil || got != tc.want {
			t.Errorf("Get(%s) = %p, %v; want %p", tc.name, got, err, tc.want)
		}
	}
	x.remove(a)
	if got, err := x.Get(t.Context(), "a"); err != nil || got != nil {
		t.Errorf("Get of a removed Application = %p, %v", got, err)
	}
}
