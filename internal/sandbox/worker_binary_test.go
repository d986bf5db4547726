package sandbox

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/capstan-cd/capstan/internal/render"
	"github.com/capstan-cd/capstan/internal/testenv"
)

// The workers run capstan-render when it is an executable file beside
// capstan's binary, and capstan's own render-worker command otherwise.
func TestWorkerCommandPrefersTheWorkerBinary(t *testing.T) {
	for _, tt := range []struct {
		name    string
		sibling func(t *testing.T, path string)
		worker  bool
	}{
		{name: "none beside it"},
		{name: "an executable file", worker: true, sibling: func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a file that is not executable", sibling: func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "a directory", sibling: func(t *testing.T, path string) {
			if err := os.Mkdir(path, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			exe := filepath.Join(dir, "capstan")
			if tt.sibling != nil {
				tt.sibling(t, filepath.Join(dir, WorkerBinary))
			}
			want := []string{exe, "render-worker"}
			if tt.worker {
				want = []string{filepath.Join(dir, WorkerBinary)}
			}
			if diff := cmp.Diff(want, workerCommand(exe, []string{"render-worker"})); diff != "" {
				t.Errorf("worker command (-want +got):\n%s", diff)
			}
		})
	}
}

// buildWorker builds ./cmd/capstan-render into a new directory, with
// ldflags.
func buildWorker(t *testing.T, ldflags string) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), WorkerBinary)
	cmd := exec.Command("go", "build", "-tags", "kustomize_disable_go_plugin_support", "-ldflags", ldflags, "-o", bin, "./cmd/capstan-render")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/capstan-render: %v\n%s", err, out)
	}
	return bin
}

// capstan-render, built as `make build` builds it, renders what render.Build
// renders, under the pool's limits; a capstan-render of another build is
// refused before it renders anything.
func TestWorkerBinary(t *testing.T) {
	t.Parallel()
	req := repo(t, map[string]string{"cms.yaml": configMaps(3)})
	want, err := render.Build(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("of this build renders", func(t *testing.T) {
		bin := buildWorker(t, "")
		o := DefaultOptions()
		o.Workers = 1
		got, err := poolOf(t, o, bin).Build(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want.Objects, got.Objects); diff != "" {
			t.Errorf("objects rendered by capstan-render (-render.Build +capstan-render):\n%s", diff)
		}
		// Its limits are the pool's: past the object limit, the render
		// fails as in any worker.
		o.Objects = 2
		if _, err := poolOf(t, o, bin).Build(context.Background(), req); err == nil || !strings.Contains(err.Error(), "over the limit of 2") {
			t.Errorf("render of 3 objects with a limit of 2: err = %v, want the object limit", err)
		}
	})

	t.Run("of another build is refused", func(t *testing.T) {
		bin := buildWorker(t, "-X github.com/capstan-cd/capstan/internal/version.Version=v0.0.0-another")
		o := DefaultOptions()
		o.Workers = 1
		_, err := poolOf(t, o, bin).Build(context.Background(), req)
		if err == nil || !strings.Contains(err.Error(), "v0.0.0-another") || !strings.Contains(err.Error(), "install both binaries from the same build") {
			t.Fatalf("render in a worker of another build: err = %v, want it refused, naming the build", err)
		}
	})
}
