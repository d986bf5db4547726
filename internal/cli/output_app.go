package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// qualifiedName is how Argo CD's CLI names an Application:
// namespace/name.
func qualifiedName(app *v1alpha1.Application) string {
	if app.Namespace == "" {
		return app.Name
	}
	return app.Namespace + "/" + app.Name
}

// destinationCluster is the destination's server, or its name.
func destinationCluster(d v1alpha1.ApplicationDestination) string {
	if d.Server != "" {
		return d.Server
	}
	return d.Name
}

// syncPolicySummary is Manual, Auto or Auto-Prune.
func syncPolicySummary(p *v1alpha1.SyncPolicy) string {
	if !p.IsAutomatedSyncEnabled() {
		return "Manual"
	}
	if p.Automated.Prune {
		return "Auto-Prune"
	}
	return "Auto"
}

// conditionsSummary counts conditions by type: "SyncError(2),
// ComparisonError", or <none>.
func conditionsSummary(conds []v1alpha1.ApplicationCondition) string {
	counts := map[string]int{}
	var types []string
	for _, c := range conds {
		t := string(c.Type)
		if counts[t] == 0 {
			types = append(types, t)
		}
		counts[t]++
	}
	sort.Strings(types)
	parts := make([]string, len(types))
	for i, t := range types {
		parts[i] = t
		if counts[t] > 1 {
			parts[i] = fmt.Sprintf("%s(%d)", t, counts[t])
		}
	}
	return orNone(strings.Join(parts, ","))
}

// printAppList prints Applications as -o asks; the default is the wide
// table.
func printAppList(w io.Writer, format string, apps []v1alpha1.Application) error {
	if ok, err := printStructured(w, format, apps); ok {
		return err
	}
	if format == outputName {
		for i := range apps {
			_, _ = fmt.Fprintln(w, qualifiedName(&apps[i]))
		}
		return nil
	}
	t := newTable(w, "NAME", "CLUSTER", "NAMESPACE", "PROJECT", "STATUS", "HEALTH", "SYNCPOLICY", "CONDITIONS", "REPO", "PATH", "TARGET")
	for i := range apps {
		a := &apps[i]
		src := a.Spec.GetSource()
		t.row(qualifiedName(a), destinationCluster(a.Spec.Destination), a.Spec.Destination.Namespace, a.Spec.Project,
			string(a.Status.Sync.Status), string(a.Status.Health.Status), syncPolicySummary(a.Spec.SyncPolicy),
			conditionsSummary(a.Status.Conditions), src.RepoURL, src.Path, src.TargetRevision)
	}
	return t.flush()
}

// syncStatusSummary is "Synced to HEAD (1a2b3c4)" as Argo CD's `app get`
// prints it.
func syncStatusSummary(app *v1alpha1.Application) string {
	s := string(app.Status.Sync.Status)
	target := app.Spec.GetSource().TargetRevision
	if target == "" {
		target = "HEAD"
	}
	switch app.Status.Sync.Status {
	case v1alpha1.SyncStatusCodeSynced:
		s += " to " + target
	case v1alpha1.SyncStatusCodeOutOfSync:
		s += " from " + target
	}
	if rev := app.Status.Sync.Revision; rev != "" {
		s += " (" + shortRevision(rev) + ")"
	}
	return s
}

func shortRevision(rev string) string {
	if len(rev) > 7 {
		return rev[:7]
	}
	return rev
}

// printApp prints one Application: -o json|yaml|name, or its summary, its
// last operation, its conditions and its resources.
func printApp(w io.Writer, format string, app *v1alpha1.Application) error {
	if ok, err := printStructured(w, format, app); ok {
		return err
	}
	if format == outputName {
		_, err := fmt.Fprintln(w, qualifiedName(app))
		return err
	}
	rows := [][2]string{
		{"Name", qualifiedName(app)},
		{"Project", app.Spec.Project},
		{"Server", destinationCluster(app.Spec.Destination)},
		{"Namespace", app.Spec.Destination.Namespace},
	}
	for _, src := range app.Spec.GetSources() {
		if src.Chart != "" {
			rows = append(rows, [2]string{"Repo", src.RepoURL}, [2]string{"Chart", src.Chart}, [2]string{"Target", src.TargetRevision})
			continue
		}
		rows = append(rows, [2]string{"Repo", src.RepoURL}, [2]string{"Target", src.TargetRevision}, [2]string{"Path", src.Path})
	}
	rows = append(rows,
		[2]string{"Sync Policy", syncPolicySummary(app.Spec.SyncPolicy)},
		[2]string{"Sync Status", syncStatusSummary(app)},
		[2]string{"Health Status", string(app.Status.Health.Status)},
	)
	fields(w, rows...)
	if op := app.Status.OperationState; op != nil {
		_, _ = fmt.Fprintln(w)
		printOperation(w, op)
	}
	if len(app.Status.Conditions) > 0 {
		_, _ = fmt.Fprintln(w)
		t := newTable(w, "CONDITION", "MESSAGE", "LAST TRANSITION")
		for _, c := range app.Status.Conditions {
			var at string
			if c.LastTransitionTime != nil {
				at = c.LastTransitionTime.String()
			}
			t.row(string(c.Type), c.Message, at)
		}
		if err := t.flush(); err != nil {
			return err
		}
	}
	states := resourceStates(app)
	if len(states) == 0 {
		return nil
	}
	_, _ = fmt.Fprintln(w)
	t := newTable(w, "GROUP", "KIND", "NAMESPACE", "NAME", "STATUS", "HEALTH", "HOOK", "MESSAGE")
	for _, s := range states {
		t.row(s.Group, s.Kind, s.Namespace, s.Name, s.Status, s.Health, s.Hook, s.Message)
	}
	return t.flush()
}

// printOperation prints the state of the last operation.
func printOperation(w io.Writer, op *v1alpha1.OperationState) {
	rows := [][2]string{{"Operation", "Sync"}}
	if op.SyncResult != nil {
		rows = append(rows, [2]string{"Sync Revision", op.SyncResult.Revision})
	}
	rows = append(rows, [2]string{"Phase", string(op.Phase)}, [2]string{"Start", op.StartedAt.String()})
	if op.FinishedAt != nil {
		rows = append(rows, [2]string{"Finished", op.FinishedAt.String()},
			[2]string{"Duration", op.FinishedAt.Sub(op.StartedAt.Time).String()})
	}
	rows = append(rows, [2]string{"Message", op.Message})
	fields(w, rows...)
}

// printHistory prints the deployments of an Application, oldest first.
func printHistory(w io.Writer, format string, app *v1alpha1.Application) error {
	if ok, err := printStructured(w, format, app.Status.History); ok {
		return err
	}
	t := newTable(w, "ID", "DATE", "REVISION")
	for _, h := range app.Status.History {
		rev := h.Revision
		if len(h.Revisions) > 0 {
			rev = strings.Join(h.Revisions, ",")
		}
		if target := h.Source.TargetRevision; target != "" && target != rev {
			rev = fmt.Sprintf("%s (%s)", target, shortRevision(rev))
		}
		t.row(fmt.Sprint(h.ID), h.DeployedAt.String(), rev)
	}
	return t.flush()
}
