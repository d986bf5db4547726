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
	if s.allowFileRepositories || s.webhookRequireSignature {
		t.Errorf("file repositories or required webhook signatures on by default: %+v", s)
	}
	s, err = parseSettings(map[string]string{"capstan.allowFileRepositories": "true", "capstan.webhook.requireSignature": " true "})
	if err != nil || !s.allowFileRepositories || !s.webhookRequireSignature {
		t.Errorf("capstan keys set: %+v, %v", s, err)
	}
	for key, value := range map[string]string{
		"timeout.reconciliation":           "three minutes",
		"timeout.reconciliation.jitter":    "-5s",
		"capstan.allowFileRepositories":    "yes please",
		"capstan.webhook.requireSignature": "on",
	} {
		if _, err := parseSettings(map[string]string{key: value}); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s: %q: want an error naming the key, got %v", key, value, err)
		}
	}
}
