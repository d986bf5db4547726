package server

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

func obj(kind string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": kind, "metadata": map[string]any{"name": "x"}}}
	for k, v := range fields {
		u.Object[k] = v
	}
	return u
}

func TestMasked(t *testing.T) {
	annotated := func(kind string, ann map[string]any, data map[string]any) *unstructured.Unstructured {
		o := obj(kind, nil)
		o.Object["metadata"].(map[string]any)["annotations"] = ann
		if data != nil {
			o.Object["data"] = data
		}
		return o
	}
	tests := []struct {
		name      string
		sensitive []string
		in        []*unstructured.Unstructured
		want      []*unstructured.Unstructured
	}{{
		name: "equal values get equal masks across live and desired, different ones differ",
		in: []*unstructured.Unstructured{
			obj("Secret", map[string]any{"data": map[string]any{"a": "czE=", "b": "czI="}}),
			obj("Secret", map[string]any{"data": map[string]any{"a": "czE=", "b": "czM="}}),
		},
		want: []*unstructured.Unstructured{
			obj("Secret", map[string]any{"data": map[string]any{"a": "mask1", "b": "mask2"}}),
			obj("Secret", map[string]any{"data": map[string]any{"a": "mask1", "b": "mask3"}}),
		},
	}, {
		name: "stringData is folded into data: a clear and an encoded equal value mask alike",
		in: []*unstructured.Unstructured{
			obj("Secret", map[string]any{"stringData": map[string]any{"p": "s1"}, "data": map[string]any{"q": "czI="}}),
			obj("Secret", map[string]any{"data": map[string]any{"p": "czE="}}),
		},
		want: []*unstructured.Unstructured{
			obj("Secret", map[string]any{"data": map[string]any{"p": "mask1", "q": "mask2"}}),
			obj("Secret", map[string]any{"data": map[string]any{"p": "mask1"}}),
		},
	}, {
		name: "a ConfigMap is shown as it is",
		in:   []*unstructured.Unstructured{obj("ConfigMap", map[string]any{"data": map[string]any{"a": "b"}})},
		want: []*unstructured.Unstructured{obj("ConfigMap", map[string]any{"data": map[string]any{"a": "b"}})},
	}, {
		name:      "sensitive annotations are masked on any kind",
		sensitive: []string{"token"},
		in:        []*unstructured.Unstructured{annotated("ConfigMap", map[string]any{"token": "abc", "keep": "me"}, nil)},
		want:      []*unstructured.Unstructured{annotated("ConfigMap", map[string]any{"token": "++++++++", "keep": "me"}, nil)},
	}, {
		name: "a missing object stays missing",
		in:   []*unstructured.Unstructured{nil, obj("Secret", map[string]any{"data": map[string]any{"a": "czE="}})},
		want: []*unstructured.Unstructured{nil, obj("Secret", map[string]any{"data": map[string]any{"a": "mask1"}})},
	}}
	// A mask is a run of eight '+' or more; which run a value gets
	// depends on the order values are met in, so the test names each
	// distinct Secret mask maskN in the order of the objects and keys.
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before := make([]*unstructured.Unstructured, len(tc.in))
			for i, o := range tc.in {
				if o != nil {
					before[i] = o.DeepCopy()
				}
			}
			got := numberMasks(masked(tc.sensitive, tc.in...))
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("masked (-want +got):\n%s", d)
			}
			if d := cmp.Diff(before, tc.in); d != "" {
				t.Errorf("masked changed its input (-before +after):\n%s", d)
			}
		})
	}
}

// numberMasks replaces each distinct mask of Secret data by mask1, mask2...
// in the order of the objects and of their sorted keys.
func numberMasks(objs []*unstructured.Unstructured) []*unstructured.Unstructured {
	names := map[string]string{}
	for _, o := range objs {
		if o == nil {
			continue
		}
		data, _ := o.Object["data"].(map[string]any)
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v, _ := data[k].(string)
			if len(v) < 8 || strings.Trim(v, "+") != "" {
				continue
			}
			if _, ok := names[v]; !ok {
				names[v] = fmt.Sprintf("mask%d", len(names)+1)
			}
			data[k] = names[v]
		}
	}
	return objs
}
