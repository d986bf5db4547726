package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"sort"

	"github.com/pmezard/go-difflib/difflib"
	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/sandbox"
)

// objectDiff is what changes for one object: its state in the cluster and
// the state it would be synced to, as YAML (empty when absent).
type objectDiff struct {
	Group, Kind, Namespace, Name string
	Live, Target                 string
}

func (d objectDiff) header() string {
	gk := d.Kind
	if d.Group != "" {
		gk = d.Group + "/" + d.Kind
	}
	return fmt.Sprintf("===== %s %s/%s ======", gk, d.Namespace, d.Name)
}

// printDiffs prints a unified diff of each object, live first.
func printDiffs(w io.Writer, diffs []objectDiff) error {
	for _, d := range diffs {
		text, err := difflib.GetUnifiedDiffString(difflib.UnifiedDiff{
			A: lines(d.Live), B: lines(d.Target),
			FromFile: "live", ToFile: "target", Context: 3,
		})
		if err != nil {
			return err
		}
		if _, err := fmt.Fprintf(w, "%s\n%s", d.header(), text); err != nil {
			return err
		}
	}
	return nil
}

// serverDiffs are the objects the server finds modified, with the states
// it compared: the normalised live state and the predicted one when given.
func serverDiffs(items []resourceDiff) ([]objectDiff, error) {
	var out []objectDiff
	for _, it := range items {
		if !it.Modified {
			continue
		}
		live := firstState(it.NormalizedLiveState, it.LiveState)
		target := firstState(it.PredictedLiveState, it.TargetState)
		d := objectDiff{Group: it.Group, Kind: it.Kind, Namespace: it.Namespace, Name: it.Name}
		var err error
		if d.Live, err = stateYAML(live); err != nil {
			return nil, fmt.Errorf("%s: %w", d.header(), err)
		}
		if d.Target, err = stateYAML(target); err != nil {
			return nil, fmt.Errorf("%s: %w", d.header(), err)
		}
		out = append(out, d)
	}
	return out, nil
}

// lines splits text for difflib; no text is no line.
func lines(text string) []string {
	if text == "" {
		return nil
	}
	return difflib.SplitLines(text)
}

func firstState(states ...string) string {
	for _, s := range states {
		if s != "" && s != "null" {
			return s
		}
	}
	return ""
}

// stateYAML turns a JSON state into YAML; an absent state is empty.
func stateYAML(state string) (string, error) {
	if state == "" {
		return "", nil
	}
	data, err := yaml.JSONToYAML([]byte(state))
	return string(data), err
}

// localDiffs compares objects rendered from a working tree with the live
// ones: an object differs when a field it sets has another value live, or
// when it is missing; a live object not rendered any more would be pruned.
// Secrets are masked on both sides.
func localDiffs(local []*unstructured.Unstructured, items []resourceDiff, destNamespace string) ([]objectDiff, error) {
	type key struct{ group, kind, namespace, name string }
	live := map[key]*unstructured.Unstructured{}
	for _, it := range items {
		state := firstState(it.LiveState)
		if it.Hook || state == "" {
			continue
		}
		var obj unstructured.Unstructured
		if err := json.Unmarshal([]byte(state), &obj.Object); err != nil {
			return nil, fmt.Errorf("live %s %s: %w", it.Kind, it.Name, err)
		}
		live[key{it.Group, it.Kind, it.Namespace, it.Name}] = &obj
	}
	var out []objectDiff
	seen := map[key]bool{}
	for _, obj := range local {
		gvk := obj.GroupVersionKind()
		k := key{gvk.Group, gvk.Kind, obj.GetNamespace(), obj.GetName()}
		l, ok := live[k]
		if !ok && k.namespace == "" {
			k.namespace = destNamespace
			l, ok = live[k]
		}
		seen[k] = true
		masked := diff.MaskSecrets(obj, l)
		target, err := plain(masked[0].Object)
		if err != nil {
			return nil, err
		}
		var shown any
		if ok {
			lv, err := plain(masked[1].Object)
			if err != nil {
				return nil, err
			}
			shown = project(lv, target)
			if reflect.DeepEqual(shown, target) {
				continue
			}
		}
		d := objectDiff{Group: k.group, Kind: k.kind, Namespace: k.namespace, Name: k.name}
		if d.Target, err = toYAML(target); err != nil {
			return nil, err
		}
		if shown != nil {
			if d.Live, err = toYAML(shown); err != nil {
				return nil, err
			}
		}
		out = append(out, d)
	}
	for k, l := range live {
		if seen[k] {
			continue
		}
		masked := diff.MaskSecrets(l)
		d := objectDiff{Group: k.group, Kind: k.kind, Namespace: k.namespace, Name: k.name}
		var err error
		if d.Live, err = toYAML(masked[0].Object); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].header() < out[j].header() })
	return out, nil
}

// plain round-trips v through JSON, so that numbers compare alike.
func plain(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	err = json.Unmarshal(data, &out)
	return out, err
}

// project keeps of live the fields that target sets: what an apply of
// target would compare.
func project(live, target any) any {
	tm, ok := target.(map[string]any)
	lm, lok := live.(map[string]any)
	if ok && lok {
		out := map[string]any{}
		for k, tv := range tm {
			if lv, found := lm[k]; found {
				out[k] = project(lv, tv)
			}
		}
		return out
	}
	tl, ok := target.([]any)
	ll, lok := live.([]any)
	if ok && lok && len(tl) == len(ll) {
		out := make([]any, len(ll))
		for i := range ll {
			out[i] = project(ll[i], tl[i])
		}
		return out
	}
	return live
}

func toYAML(v any) (string, error) {
	data, err := yaml.Marshal(v)
	return string(data), err
}

// exitError ends the command with an exit code; a nil err prints nothing.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

// ExitCode is the exit status a command's error asks for: 1 by default.
func ExitCode(err error) (code int, silent bool) {
	if e, ok := err.(*exitError); ok {
		return e.code, e.err == nil
	}
	return 1, false
}

func newAppDiffCommand(o *clientOptions) *cobra.Command {
	var (
		local    string
		exitCode bool
		refresh  bool
		hard     bool
		renderOp = sandbox.DefaultOptions()
	)
	cmd := &cobra.Command{
		Use:   "diff APPNAME",
		Short: "Show what a sync would change; exit 1 when something differs",
		Long: `Prints a unified diff of each object whose live state differs from the
state a sync would give it, live first. With --local DIR the source is rendered
here, from a working tree, as the controller renders it, and compared with the
live objects. Secret values are masked. The exit status is 0 when nothing
differs, 1 when something does (unless --exit-code=false), 2 on error.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			diffs, err := o.appDiffs(cmd.Context(), cmd, args[0], local, refreshMode(refresh, hard), renderOp)
			if err != nil {
				return &exitError{code: 2, err: err}
			}
			if err := printDiffs(cmd.OutOrStdout(), diffs); err != nil {
				return &exitError{code: 2, err: err}
			}
			if len(diffs) > 0 && exitCode {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&local, "local", "", "render the source from this working tree instead of the server's")
	cmd.Flags().BoolVar(&exitCode, "exit-code", true, "exit 1 when something differs")
	cmd.Flags().BoolVar(&refresh, "refresh", false, "compare with the latest revision of the source")
	cmd.Flags().BoolVar(&hard, "hard-refresh", false, "as --refresh, also rendering the source again")
	renderOp.BindFlags(cmd.Flags())
	return cmd
}

// appDiffs are the differences of an Application, from the server's
// comparison or from a local render.
func (o *clientOptions) appDiffs(ctx context.Context, cmd *cobra.Command, qualified, local, refresh string, renderOp sandbox.Options) ([]objectDiff, error) {
	c, err := o.client(ctx)
	if err != nil {
		return nil, err
	}
	app, err := c.getApp(ctx, qualified, refresh)
	if err != nil {
		return nil, err
	}
	items, err := c.managedResources(cmd, qualified)
	if err != nil {
		return nil, err
	}
	if local == "" {
		return serverDiffs(items)
	}
	r := &renderOptions{local: local, render: renderOp}
	objs, err := r.objects(ctx, []*v1alpha1.Application{app})
	if err != nil {
		return nil, err
	}
	return localDiffs(objs, items, app.Spec.Destination.Namespace)
}
