package main

import (
	"context"
	"strings"
	"testing"
)

// Each --binary needs the --worker of its platform, and each --worker its
// --binary; both are checked before anything is read or written.
func TestBinariesAndWorkersPair(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"binary without worker", []string{"--binary", "linux/amd64=capstan"}, `--binary "linux/amd64=capstan": no --worker for linux/amd64`},
		{"worker of another platform", []string{"--binary", "linux/amd64=capstan", "--worker", "linux/arm64=capstan-render"}, "no --worker for linux/amd64"},
		{"worker without binary", []string{"--binary", "linux/amd64=capstan", "--worker", "linux/amd64=capstan-render", "--worker", "linux/arm64=capstan-render"}, "--worker for linux/arm64: no --binary for it"},
		{"worker without a platform", []string{"--binary", "linux/amd64=capstan", "--worker", "capstan-render"}, `--worker "capstan-render": want OS/ARCH=FILE`},
		{"binary without a file", []string{"--binary", "linux/amd64="}, `--binary "linux/amd64=": want OS/ARCH=FILE`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(tt.args, "--layout", t.TempDir())
			err := run(context.Background(), args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("capstan-image %s: err = %v, want %q", strings.Join(tt.args, " "), err, tt.want)
			}
		})
	}
}
