package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// resourceState is one line of the resources of an Application: its sync
// and health from the status, the last sync's message, and the hook it is.
type resourceState struct {
	Group, Kind, Namespace, Name string
	Status, Health, Hook         string
	Message                      string
}

func (s resourceState) key() string {
	return s.Group + "/" + s.Kind + "/" + s.Namespace + "/" + s.Name
}

// resourceStates joins an Application's resources with the results of its
// last sync; hooks and pruned objects, absent from the resources, come from
// the results alone. The order is group, kind, namespace, name.
func resourceStates(app *v1alpha1.Application) []resourceState {
	byKey := map[string]int{}
	var states []resourceState
	for _, r := range app.Status.Resources {
		s := resourceState{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Status: string(r.Status)}
		if r.Health != nil {
			s.Health = string(r.Health.Status)
		}
		byKey[s.key()] = len(states)
		states = append(states, s)
	}
	if op := app.Status.OperationState; op != nil && op.SyncResult != nil {
		for _, r := range op.SyncResult.Resources {
			s := resourceState{Group: r.Group, Kind: r.Kind, Namespace: r.Namespace, Name: r.Name, Status: string(r.Status), Hook: string(r.HookType), Message: r.Message}
			if r.HookType != "" && r.HookPhase != "" {
				s.Status = string(r.HookPhase)
			}
			if i, ok := byKey[s.key()]; ok {
				states[i].Message = s.Message
				if s.Hook != "" {
					states[i].Hook = s.Hook
				}
				continue
			}
			byKey[s.key()] = len(states)
			states = append(states, s)
		}
	}
	sort.SliceStable(states, func(i, j int) bool { return states[i].key() < states[j].key() })
	return states
}

// progress prints the resource states of an Application as they change,
// one timestamped line per change, as `app sync` and `app wait` show it.
// Columns keep the widest width seen so far, so that lines printed at
// different times still line up.
type progress struct {
	w      io.Writer
	now    func() time.Time
	last   map[string]resourceState
	widths []int
}

var progressHeader = []string{"TIMESTAMP", "GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE"}

func newProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, now: now, last: map[string]resourceState{}}
}

// changed returns the states of app that differ from those last shown, and
// remembers them.
func (p *progress) changed(app *v1alpha1.Application) []resourceState {
	var out []resourceState
	for _, s := range resourceStates(app) {
		if prev, ok := p.last[s.key()]; ok && prev == s {
			continue
		}
		p.last[s.key()] = s
		out = append(out, s)
	}
	return out
}

// show prints the states of app that changed since the last call.
func (p *progress) show(app *v1alpha1.Application) error {
	changed := p.changed(app)
	if len(changed) == 0 {
		return nil
	}
	at := p.now().Format(time.RFC3339)
	rows := make([][]string, 0, len(changed)+1)
	if p.widths == nil {
		p.widths = make([]int, len(progressHeader))
		rows = append(rows, progressHeader)
	}
	for _, s := range changed {
		rows = append(rows, []string{at, s.Group, s.Kind, s.Namespace, s.Name, s.Status, s.Health, s.Hook, s.Message})
	}
	for _, r := range rows {
		for i, c := range r {
			p.widths[i] = max(p.widths[i], len(c))
		}
	}
	var b strings.Builder
	for _, r := range rows {
		for i, c := range r {
			if i == len(r)-1 {
				b.WriteString(c)
				break
			}
			fmt.Fprintf(&b, "%-*s", p.widths[i]+2, c)
		}
		b.WriteString("\n")
	}
	if _, err := io.WriteString(p.w, b.String()); err != nil {
		return fmt.Errorf("print progress: %w", err)
	}
	return nil
}
