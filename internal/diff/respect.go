package diff

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// Respect returns desired with every field ign ignores on it taken from
// live (RespectIgnoreDifferences=true): the value live holds, or no value
// where live holds none. An apply of the result leaves the ignored fields
// as they are, such as the replicas an autoscaler set. desired itself is
// not changed. An ignored field inside a list whose length or order
// differs from desired's takes live's whole list: a list has no stable
// address for one of its elements.
func Respect(ctx context.Context, desired, live *unstructured.Unstructured, ign *Ignorer) (*unstructured.Unstructured, error) {
	target, err := plain(desired)
	if err != nil {
		return nil, err
	}
	liveMap, err := plain(live)
	if err != nil {
		return nil, err
	}
	keptLive, err := plain(live)
	if err != nil {
		return nil, err
	}
	if err := ign.apply(ctx, target, desired, live); err != nil {
		return nil, err
	}
	if err := ign.apply(ctx, keptLive, desired, live); err != nil {
		return nil, err
	}
	restore(target, keptLive, liveMap)
	data, err := json.Marshal(target)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	out := &unstructured.Unstructured{}
	if err := out.UnmarshalJSON(data); err != nil {
		return nil, fmt.Errorf("decode %s %s: %w", desired.GetKind(), desired.GetName(), err)
	}
	return out, nil
}

// plain is obj as plain JSON values.
func plain(obj *unstructured.Unstructured) (map[string]any, error) {
	data, err := json.Marshal(obj.Object)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", obj.GetKind(), obj.GetName(), err)
	}
	var m map[string]any
	return m, json.Unmarshal(data, &m)
}

// restore writes into target what the ignore rules took out of live: each
// value of live that kept (live less its ignored fields) lacks or holds
// differently.
func restore(target, kept, live map[string]any) {
	for k, lv := range live {
		kv, ok := kept[k]
		if !ok {
			target[k] = lv
			continue
		}
		if reflect.DeepEqual(kv, lv) {
			continue
		}
		switch lv := lv.(type) {
		case map[string]any:
			km, kok := kv.(map[string]any)
			tm, tok := target[k].(map[string]any)
			if kok && tok {
				restore(tm, km, lv)
				continue
			}
		case []any:
			kl, kok := kv.([]any)
			tl, tok := target[k].([]any)
			if kok && tok && len(kl) == len(lv) && len(tl) == len(lv) {
				restoreList(tl, kl, lv)
				continue
			}
		}
		target[k] = lv
	}
}

// restoreList is restore for lists of the same length, element by element.
func restoreList(target, kept, live []any) {
	for i, lv := range live {
		kv := kept[i]
		if reflect.DeepEqual(kv, lv) {
			continue
		}
		lm, lok := lv.(map[string]any)
		km, kok := kv.(map[string]any)
		tm, tok := target[i].(map[string]any)
		if lok && kok && tok {
			restore(tm, km, lm)
			continue
		}
		target[i] = lv
	}
}
