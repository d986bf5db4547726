package image

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	"oras.land/oras-go/v2/content/oci"
	"oras.land/oras-go/v2/registry/remote"

	"github.com/capstan-cd/capstan/internal/testenv"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

const testVersion = "v0.0.0-imagetest"

// testCA stands for the root certificates copied into the image.
const testCA = "-----BEGIN CERTIFICATE-----\nnot a real certificate\n-----END CERTIFICATE-----\n"

// TestImagePushedToRegistry builds the image from capstan cross-compiled
// for both platforms, the way `make image` does, pushes it to a real
// Distribution registry and reads back what a container runtime reads.
func TestImagePushedToRegistry(t *testing.T) {
	ctx := context.Background()
	binaries := crossCompile(t, "amd64", "arm64")
	caBundle := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caBundle, []byte(testCA), 0o644); err != nil {
		t.Fatal(err)
	}
	opts := Options{Version: testVersion, Revision: "0123abc", Source: "https://github.com/capstan-cd/capstan", Licenses: "NOASSERTION", CABundle: caBundle}
	store, err := oci.NewWithContext(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Build(ctx, store, opts, binaries, testVersion); err != nil {
		t.Fatal(err)
	}
	reg := registry.Start(t, registry.Options{})
	r := Remote{PlainHTTP: true, Username: reg.Username, Password: reg.Password}
	ref := reg.Host + "/capstan-cd/capstan:" + testVersion
	if _, err := Push(ctx, store, testVersion, ref, r); err != nil {
		t.Fatal(err)
	}

	repo, err := r.Repository(ref)
	if err != nil {
		t.Fatal(err)
	}
	var index ocispec.Index
	fetchJSON(t, repo, testVersion, &index)
	var platforms []string
	for _, m := range index.Manifests {
		if m.Platform == nil {
			t.Fatalf("index entry %s has no platform", m.Digest)
		}
		platforms = append(platforms, m.Platform.OS+"/"+m.Platform.Architecture)
		var manifest ocispec.Manifest
		fetchJSON(t, repo, m.Digest.String(), &manifest)
		var cfg ocispec.Image
		cfgData, err := content.FetchAll(ctx, repo, manifest.Config)
		if err != nil {
			t.Fatalf("fetch config: %v", err)
		}
		if err := json.Unmarshal(cfgData, &cfg); err != nil {
			t.Fatal(err)
		}
		checkConfig(t, m.Platform.Architecture, cfg)
		if len(manifest.Layers) != 1 {
			t.Fatalf("%s: %d layers, want 1", m.Platform.Architecture, len(manifest.Layers))
		}
		files := filesInLayer(t, repo, manifest.Layers[0])
		if got := string(files["/etc/ssl/certs/ca-certificates.crt"]); got != testCA {
			t.Errorf("%s: CA bundle in the image is %q, want the one given", m.Platform.Architecture, got)
		}
		checkStatic(t, m.Platform.Architecture, files[Path])
		checkStatic(t, m.Platform.Architecture, files[WorkerPath])
		if m.Platform.Architecture == runtime.GOARCH {
			checkRuns(t, files)
		}
	}
	if diff := cmp.Diff([]string{"linux/amd64", "linux/arm64"}, platforms); diff != "" {
		t.Errorf("platforms in the index (-want +got):\n%s", diff)
	}
}

func checkConfig(t *testing.T, arch string, cfg ocispec.Image) {
	t.Helper()
	type seen struct {
		OS, Arch, User string
		Entrypoint     []string
		Labels         map[string]string
	}
	want := seen{
		OS: "linux", Arch: arch, User: "65532:65532",
		Entrypoint: []string{"/usr/local/bin/capstan"},
		Labels: map[string]string{
			"org.opencontainers.image.title":       "capstan",
			"org.opencontainers.image.description": "GitOps continuous delivery for Kubernetes",
			"org.opencontainers.image.version":     testVersion,
			"org.opencontainers.image.revision":    "0123abc",
			"org.opencontainers.image.source":      "https://github.com/capstan-cd/capstan",
			"org.opencontainers.image.licenses":    "NOASSERTION",
		},
	}
	got := seen{OS: cfg.OS, Arch: cfg.Architecture, User: cfg.Config.User, Entrypoint: cfg.Config.Entrypoint, Labels: cfg.Config.Labels}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s image config (-want +got):\n%s", arch, diff)
	}
}

// crossCompile builds ./cmd/capstan and ./cmd/capstan-render statically for
// linux on each arch, with the flags of `make image`, once for the test run.
func crossCompile(t *testing.T, arches ...string) []Binary {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var out []Binary
	for _, arch := range arches {
		dir := t.TempDir()
		cmd := exec.Command("go", "build", "-trimpath", "-tags", "kustomize_disable_go_plugin_support", "-ldflags", "-X github.com/capstan-cd/capstan/internal/version.Version="+testVersion, "-o", dir+"/", "./cmd/capstan", "./cmd/capstan-render")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cross-compile for %s: %v\n%s", arch, err, b)
		}
		out = append(out, Binary{OS: "linux", Arch: arch, File: filepath.Join(dir, "capstan"), Worker: filepath.Join(dir, "capstan-render")})
	}
	return out
}

func fetchJSON(t *testing.T, repo *remote.Repository, ref string, v any) {
	t.Helper()
	_, data, err := oras.FetchBytes(context.Background(), repo, ref, oras.DefaultFetchBytesOptions)
	if err != nil {
		t.Fatalf("fetch %s: %v", ref, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		t.Fatalf("decode %s: %v", ref, err)
	}
}

// filesInLayer reads the layer from the registry and returns its regular
// files by absolute path, checking that the entrypoint is executable.
func filesInLayer(t *testing.T, repo *remote.Repository, desc ocispec.Descriptor) map[string][]byte {
	t.Helper()
	data, err := content.FetchAll(context.Background(), repo, desc)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range readLayer(t, data) {
		if e.header.Typeflag != tar.TypeReg {
			continue
		}
		name := "/" + e.header.Name
		if (name == Path || name == WorkerPath) && e.header.Mode&0o111 == 0 {
			t.Errorf("%s is not executable: mode %o", name, e.header.Mode)
		}
		files[name] = e.data
	}
	for _, path := range []string{Path, WorkerPath} {
		if files[path] == nil {
			t.Fatalf("no %s in the layer", path)
		}
	}
	return files
}

// checkStatic fails unless bin is an ELF binary for arch that asks for no
// dynamic loader: the image has no libc.
func checkStatic(t *testing.T, arch string, bin []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s binary: %v", arch, err)
	}
	want := map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}[arch]
	if f.Machine != want {
		t.Errorf("%s binary is for %s", arch, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s binary needs a dynamic loader: not static", arch)
		}
	}
}

// checkRuns runs the image's binaries for this machine, as the image lays
// them out: each prints its version, and capstan renders a working tree in
// the render worker beside it.
func checkRuns(t *testing.T, files map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	for _, path := range []string{Path, WorkerPath} {
		file := filepath.Join(dir, filepath.Base(path))
		if err := os.WriteFile(file, files[path], 0o755); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(file, "version").CombinedOutput()
		if err != nil {
			t.Fatalf("%s version: %v\n%s", path, err, out)
		}
		if !strings.Contains(string(out), testVersion) {
			t.Errorf("%s version printed %q, want %s in it", path, out, testVersion)
		}
	}
	tree := t.TempDir()
	for name, data := range map[string]string{
		"app.yaml":          "apiVersion: argoproj.io/v1alpha1\nkind: Application\nmetadata:\n  name: guestbook\nspec:\n  source:\n    repoURL: https://git.example/guestbook.git\n    path: guestbook\n  destination:\n    namespace: guestbook\n",
		"guestbook/cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: rendered-in-the-worker\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(tree, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(tree, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	render := func() ([]byte, error) {
		return exec.Command(filepath.Join(dir, "capstan"), "render", "-f", filepath.Join(tree, "app.yaml"), "--local", tree, "--cache-dir", t.TempDir()).CombinedOutput()
	}
	out, err := render()
	if err != nil {
		t.Fatalf("capstan render: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "name: rendered-in-the-worker") {
		t.Errorf("capstan render printed %q, want the ConfigMap", out)
	}
	// The render ran in capstan-render: without a working one beside it,
	// the same render fails.
	if err := os.WriteFile(filepath.Join(dir, "capstan-render"), []byte("#!/bin/sh\nexit 7\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := render(); err == nil || !strings.Contains(string(out), "exit status 7") {
		t.Errorf("capstan render with a capstan-render that exits at once: %v\n%s\nwant the worker's exit reported", err, out)
	}
}
