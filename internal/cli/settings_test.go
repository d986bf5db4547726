package cli

import (
	"strings"
	"testing"
	"time"

	"github.com/capstan-cd/capstan/internal/tracking"
)

func TestParseSettings(t *testing.T) {
	s, err := parseSettings(nil)
	if err != nil || s.resync != 120*time.Second || s.jitter != 60*time.Second || s.tracking != tracking.MethodAnnotation {
		t.Errorf("defaults: %+v, %v", s, err)
	}
	s, err = parseSettings(map[string]string{"timeout.reconciliation": "180s", "timeout.reconciliation.jitter": "0s", "application.resourceTrackingMethod": "annotation+label"})
	if err != nil || s.resync != 180*time.Second || s.jitter != 0 || s.tracking != tracking.MethodAnnotationAndLabel {
		t.Errorf("set: %+v, %v", s, err)
	}
	for _, bad := range []map[string]string{
		{"timeout.reconciliation": "three minutes"},
		{"timeout.reconciliation.jitter": "-5s"},
	} {
		if _, err := parseSettings(bad); err == nil || !strings.Contains(err.Error(), "timeout.reconciliation") {
			t.Errorf("%v: want an error naming the key, got %v", bad, err)
		}
	}
}
