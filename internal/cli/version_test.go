package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/version"
)

func TestVersionCommand(t *testing.T) {
	old := version.Version
	version.Version = "v9.8.7-test"
	t.Cleanup(func() { version.Version = old })

	cmd := NewRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"version"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("capstan version: %v", err)
	}
	if got := out.String(); !strings.HasPrefix(got, "capstan v9.8.7-test (commit ") {
		t.Errorf("capstan version printed %q", got)
	}
}

func TestUnknownCommandFails(t *testing.T) {
	cmd := NewRootCommand()
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	cmd.SetArgs([]string{"no-such-command"})
	if err := cmd.Execute(); err == nil {
		t.Fatal("an unknown command succeeded")
	}
}
