package sync

import (
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Mode is the value of Prune= and Delete=: allowed, never, or only once a
// user has confirmed.
type Mode string

// Modes of Prune= and Delete=.
const (
	ModeAllow   Mode = ""
	ModeNever   Mode = "false"
	ModeConfirm Mode = "confirm"
)

// Options are the sync options of an Application (syncPolicy.syncOptions,
// or those of a sync operation), possibly overridden for one object by its
// argocd.argoproj.io/sync-options annotation.
type Options struct {
	Validate                    bool
	CreateNamespace             bool
	PrunePropagationPolicy      metav1.DeletionPropagation
	PruneLast                   bool
	ApplyOutOfSyncOnly          bool
	ServerSideApply             bool
	Replace                     bool
	Force                       bool
	RespectIgnoreDifferences    bool
	FailOnSharedResource        bool
	SkipDryRunOnMissingResource bool
	Prune                       Mode
	Delete                      Mode
}

// DefaultOptions are the options of an Application that sets none.
func DefaultOptions() Options {
	return Options{Validate: true, PrunePropagationPolicy: metav1.DeletePropagationForeground}
}

// ParseOptions reads an Application's sync options over the defaults. An
// unknown option or value is an error naming it, so that a typo does not
// silently change what a sync does.
func ParseOptions(list []string) (Options, error) {
	return DefaultOptions().with(list)
}

// For returns the options that apply to obj: these, overridden by the
// object's sync-options annotation (comma-separated), which wins.
func (o Options) For(obj *unstructured.Unstructured) (Options, error) {
	v, ok := annotation(obj, v1alpha1.AnnotationSyncOptions)
	if !ok {
		return o, nil
	}
	out, err := o.with(strings.Split(v, ","))
	if err != nil {
		return o, fmt.Errorf("%s %s/%s: annotation %s: %w", obj.GetKind(), obj.GetNamespace(), obj.GetName(), v1alpha1.AnnotationSyncOptions, err)
	}
	return out, nil
}

func (o Options) with(list []string) (Options, error) {
	for _, item := range list {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		key, value, ok := strings.Cut(item, "=")
		if !ok {
			return o, fmt.Errorf("sync option %q: want Name=value", item)
		}
		if err := o.set(key, value); err != nil {
			return o, fmt.Errorf("sync option %q: %w", item, err)
		}
	}
	return o, nil
}

var propagationPolicies = map[string]metav1.DeletionPropagation{
	"foreground": metav1.DeletePropagationForeground,
	"background": metav1.DeletePropagationBackground,
	"orphan":     metav1.DeletePropagationOrphan,
}

func (o *Options) set(key, value string) error {
	flags := map[string]*bool{
		"Validate":                    &o.Validate,
		"CreateNamespace":             &o.CreateNamespace,
		"PruneLast":                   &o.PruneLast,
		"ApplyOutOfSyncOnly":          &o.ApplyOutOfSyncOnly,
		"ServerSideApply":             &o.ServerSideApply,
		"Replace":                     &o.Replace,
		"Force":                       &o.Force,
		"RespectIgnoreDifferences":    &o.RespectIgnoreDifferences,
		"FailOnSharedResource":        &o.FailOnSharedResource,
		"SkipDryRunOnMissingResource": &o.SkipDryRunOnMissingResource,
	}
	if f, ok := flags[key]; ok {
		switch value {
		case "true":
			*f = true
		case "false":
			*f = false
		default:
			return fmt.Errorf("want true or false")
		}
		return nil
	}
	switch key {
	case "PrunePropagationPolicy":
		p, ok := propagationPolicies[strings.ToLower(value)]
		if !ok {
			return fmt.Errorf("want foreground, background or orphan")
		}
		o.PrunePropagationPolicy = p
		return nil
	case "Prune", "Delete":
		var m Mode
		switch value {
		case "true":
			m = ModeAllow
		case "false":
			m = ModeNever
		case "confirm":
			m = ModeConfirm
		default:
			return fmt.Errorf("want true, false or confirm")
		}
		if key == "Prune" {
			o.Prune = m
		} else {
			o.Delete = m
		}
		return nil
	}
	return fmt.Errorf("unknown sync option %s", key)
}
