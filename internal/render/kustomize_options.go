package render

import (
	"fmt"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
)

// KustomizeOptions are the flags of `kustomize build` capstan honours, from
// argocd-cm's kustomize.buildOptions. The zero value is capstan's default:
// loading restricted to the kustomization's directory, kustomize's own
// order, no managed-by label.
type KustomizeOptions struct {
	// LoadRestrictionsNone lets a kustomization load files from outside its
	// own directory (--load-restrictor LoadRestrictionsNone). Every read
	// still goes through the repository's confined tree: nothing outside
	// the repository is reached either way.
	LoadRestrictionsNone bool `json:"loadRestrictionsNone,omitempty"`
	// Reorder is --reorder: "legacy" or "none"; empty leaves kustomize's.
	Reorder string `json:"reorder,omitempty"`
	// ManagedByLabel is --enable-managedby-label.
	ManagedByLabel bool `json:"managedByLabel,omitempty"`
}

// refusedKustomizeFlags are the flags of `kustomize build` that would run
// programs, plugins or containers, reach the network or change what a
// build reads: capstan never honours them.
var refusedKustomizeFlags = map[string]string{
	"--enable-helm":          "kustomize would run the helm program; render the chart with a Helm source",
	"--enable-alpha-plugins": "plugins run code from the repository",
	"--enable-exec":          "exec functions run programs from the repository",
	"--enable-star":          "Starlark functions run code from the repository",
	"--mount":                "container functions are not run",
	"--network":              "container functions are not run",
	"--network-name":         "container functions are not run",
	"--env":                  "container functions are not run",
	"-e":                     "container functions are not run",
	"--as-current-user":      "container functions are not run",
	"--helm-command":         "kustomize would run the helm program",
	"--helm-api-versions":    "kustomize would run the helm program",
	"--helm-kube-version":    "kustomize would run the helm program",
	"--helm-debug":           "kustomize would run the helm program",
	"--output":               "capstan reads the build's output itself",
	"-o":                     "capstan reads the build's output itself",
}

// valued are the flags that take a value, as the next argument when not
// written flag=value.
var valued = map[string]bool{
	"--load-restrictor": true, "--load_restrictor": true, "--reorder": true, "--mount": true, "--network-name": true,
	"--env": true, "-e": true, "--helm-command": true, "--helm-api-versions": true, "--helm-kube-version": true, "--output": true, "-o": true,
}

// ParseKustomizeOptions reads kustomize.buildOptions. It returns the
// options capstan honours, and a note for each flag it does not: refused
// (it would run a program, reach the network or read outside the
// repository) or unknown. A value capstan cannot read for a flag it
// honours is an error.
func ParseKustomizeOptions(s string) (KustomizeOptions, []string, error) {
	var o KustomizeOptions
	var ignored []string
	args := strings.Fields(s)
	for i := 0; i < len(args); i++ {
		flag, value, hasValue := strings.Cut(args[i], "=")
		if !hasValue && valued[flag] && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			i++
			value, hasValue = args[i], true
		}
		switch flag {
		case "--load-restrictor", "--load_restrictor":
			switch strings.ToLower(value) {
			case "loadrestrictionsnone", "none":
				o.LoadRestrictionsNone = true
			case "loadrestrictionsrootonly", "rootonly":
				o.LoadRestrictionsNone = false
			default:
				return o, nil, fmt.Errorf("%s %q: want LoadRestrictionsRootOnly or LoadRestrictionsNone", flag, value)
			}
		case "--reorder":
			if value != "legacy" && value != "none" {
				return o, nil, fmt.Errorf("--reorder %q: want legacy or none", value)
			}
			o.Reorder = value
		case "--enable-managedby-label":
			o.ManagedByLabel = !hasValue || value == "true"
		default:
			why, refused := refusedKustomizeFlags[flag]
			if !refused {
				why = "not a flag capstan knows"
			}
			ignored = append(ignored, fmt.Sprintf("%s (%s)", flag, why))
		}
	}
	return o, ignored, nil
}

// apply sets the options on kustomize's.
func (o KustomizeOptions) apply(opts *krusty.Options) {
	if o.LoadRestrictionsNone {
		opts.LoadRestrictions = types.LoadRestrictionsNone
	}
	switch o.Reorder {
	case "legacy":
		opts.Reorder = krusty.ReorderOptionLegacy
	case "none":
		opts.Reorder = krusty.ReorderOptionNone
	}
	opts.AddManagedbyLabel = o.ManagedByLabel
}
