package server

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
)

func owned(kind, name, uid string, owners ...string) *unstructured.Unstructured {
	u := obj(kind, nil)
	u.SetName(name)
	u.SetUID(types.UID(uid))
	var refs []metav1.OwnerReference
	for _, o := range owners {
		refs = append(refs, metav1.OwnerReference{UID: types.UID(o)})
	}
	u.SetOwnerReferences(refs)
	return u
}

func TestDescendants(t *testing.T) {
	tests := []struct {
		name              string
		roots, candidates []*unstructured.Unstructured
		want              string
	}{{
		name:       "generation by generation, whatever the listing order",
		roots:      []*unstructured.Unstructured{owned("Deployment", "web", "d")},
		candidates: []*unstructured.Unstructured{owned("Pod", "web-1", "p", "r"), owned("ReplicaSet", "web-r", "r", "d")},
		want:       "web web-r web-1",
	}, {
		name:       "what nothing of the app owns is left out",
		roots:      []*unstructured.Unstructured{owned("Deployment", "web", "d")},
		candidates: []*unstructured.Unstructured{owned("Pod", "stray", "s"), owned("Pod", "other", "o", "x")},
		want:       "web",
	}, {
		name:       "siblings sorted by kind and name",
		roots:      []*unstructured.Unstructured{owned("CronJob", "c", "c")},
		candidates: []*unstructured.Unstructured{owned("Job", "c-2", "j2", "c"), owned("Job", "c-1", "j1", "c")},
		want:       "c c-1 c-2",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var names []string
			for _, o := range descendants(tc.roots, tc.candidates) {
				names = append(names, o.GetName())
			}
			if d := cmp.Diff(tc.want, strings.Join(names, " ")); d != "" {
				t.Errorf("descendants (-want +got):\n%s", d)
			}
		})
	}
}

func TestPairStates(t *testing.T) {
	cm := obj("ConfigMap", nil)
	cm.SetNamespace("ns")
	got := pairStates([]*unstructured.Unstructured{cm}, []resourceRef{
		{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "x"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "gone"},
	})
	want := []statePair{
		{ref: resourceRef{Version: "v1", Kind: "ConfigMap", Namespace: "ns", Name: "x"}, target: cm},
		{ref: resourceRef{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "ns", Name: "gone"}},
	}
	if d := cmp.Diff(want, got, cmp.AllowUnexported(statePair{}, resourceRef{})); d != "" {
		t.Errorf("pairStates (-want +got):\n%s", d)
	}
}
