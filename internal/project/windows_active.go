package project

import (
	"time"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// ActiveWindows are the windows of a project open at now, whatever they
// select: what the API lists as a project's active sync windows. A window
// that cannot be read is an error.
func ActiveWindows(windows v1alpha1.SyncWindows, now time.Time) ([]v1alpha1.SyncWindow, error) {
	var out []v1alpha1.SyncWindow
	for _, w := range windows {
		open, _, err := windowOpen(w, now)
		if err != nil {
			return nil, err
		}
		if open {
			out = append(out, w)
		}
	}
	return out, nil
}
