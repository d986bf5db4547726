package imageupdater

import (
	"fmt"
	"io"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	iu "github.com/capstan-cd/capstan/internal/imageupdater"
)

// Report is what one cycle found and did.
type Report struct {
	Apps []AppReport
}

// AppReport is one Application's part of a cycle.
type AppReport struct {
	App       *v1alpha1.Application
	WriteBack iu.WriteBack
	// Updates are the images with a newer version.
	Updates []iu.Update
	// Written tells that the updates were written back; Commit is the
	// commit that carries them for the git method.
	Written bool
	Commit  string
	// Skipped says why the write-back was not attempted, if so.
	Skipped string
	Err     error
}

// Name is the Application's namespace/name.
func (a AppReport) Name() string { return a.App.Namespace + "/" + a.App.Name }

// Print writes the report for a person: one line per image that changes
// (or would), then one per failure.
func (r *Report) Print(w io.Writer, dryRun bool) error {
	verb := "updated"
	if dryRun {
		verb = "would update"
	}
	n := 0
	for _, a := range r.Apps {
		for _, u := range a.Updates {
			if !dryRun && !a.Written {
				continue
			}
			from := u.From
			if from == "" {
				from = "(unknown)"
			}
			if _, err := fmt.Fprintf(w, "%s: %s %s %s -> %s (write-back %s%s)\n", a.Name(), verb, u.Image, from, u.Version(), a.WriteBack.Method, target(a)); err != nil {
				return err
			}
			n++
		}
	}
	for _, a := range r.Apps {
		if a.Skipped != "" {
			fmt.Fprintf(w, "%s: skipped: %s\n", a.Name(), a.Skipped)
		}
		if a.Err != nil {
			fmt.Fprintf(w, "%s: error: %v\n", a.Name(), a.Err)
		}
	}
	if n == 0 {
		_, err := fmt.Fprintln(w, "no image to update")
		return err
	}
	return nil
}

// target names the file a git write-back edits.
func target(a AppReport) string {
	if a.WriteBack.Method != iu.MethodGit {
		return ""
	}
	src := a.App.Spec.GetSources()
	if len(src) == 0 {
		return ""
	}
	return " to " + a.WriteBack.File(src[0].Path, a.App.Name)
}
