package settings

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/internal/actions"
	"github.com/capstan-cd/capstan/internal/render"
)

// Parse builds a snapshot from data, with the defaults for what is not
// set. An error names the object and key that could not be read.
func Parse(data Data) (*Settings, error) {
	cm := data[ConfigMap]
	s := &Settings{Resync: DefaultResync, Jitter: DefaultJitter, data: copyData(data)}
	for key, into := range map[string]*time.Duration{"timeout.reconciliation": &s.Resync, "timeout.reconciliation.jitter": &s.Jitter, keyHardResync: &s.HardResync} {
		v := strings.TrimSpace(cm[key])
		if v == "" {
			continue
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			return nil, fmt.Errorf("%s: %s %q is not a duration such as 180s", ConfigMap, key, v)
		}
		*into = d
	}
	for key, into := range map[string]*bool{KeyAllowFileRepositories: &s.AllowFileRepositories, KeyWebhookRequireSignature: &s.WebhookRequireSignature} {
		v := strings.TrimSpace(cm[key])
		if v == "" {
			continue
		}
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %s %q is not true or false", ConfigMap, key, v)
		}
		*into = b
	}
	var err error
	if s.Tracking, err = parseTracking(cm); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigMap, err)
	}
	if s.Resources.Exclusions, err = parseFilters(keyExclusions, cm[keyExclusions]); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigMap, err)
	}
	if s.Resources.Inclusions, err = parseFilters(keyInclusions, cm[keyInclusions]); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigMap, err)
	}
	compare, notHonoured, err := parseCompareOptions(cm[keyCompareOptions])
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigMap, err)
	}
	s.Compare = compare
	kustomize, ignoredFlags, err := render.ParseKustomizeOptions(cm[keyKustomizeBuild])
	if err != nil {
		return nil, fmt.Errorf("%s: %s: %w", ConfigMap, keyKustomizeBuild, err)
	}
	s.Kustomize = kustomize
	for _, f := range ignoredFlags {
		notHonoured = append(notHonoured, fmt.Sprintf("%s: %s %s", ConfigMap, keyKustomizeBuild, f))
	}
	c, err := parseCustomizations(cm)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigMap, err)
	}
	s.Health, s.IgnoreDifferences, s.customizations = c.checks(), c.ignore, customizationDigest(cm)
	s.Actions = actions.NewSet(c.actions)
	s.Compare.KnownTypes = c.knownTypes()
	s.Unsupported = append(append(unsupported(data), c.unsupported...), notHonoured...)
	slices.Sort(s.Unsupported)
	return s, nil
}

func copyData(data Data) Data {
	out := make(Data, len(data))
	for name, kv := range data {
		out[name] = maps.Clone(kv)
	}
	return out
}

// customizationDigest digests every key that changes how objects are
// compared, assessed or tracked.
func customizationDigest(cm map[string]string) string {
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(cm)) {
		if strings.HasPrefix(k, "resource.customizations") || k == keyCompareOptions || k == keyTrackingMethod || k == keyInstanceLabel {
			fmt.Fprintf(h, "%q=%q\n", k, cm[k])
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
