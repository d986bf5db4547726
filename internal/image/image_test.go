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
		bin := files[Path]
		checkStatic(t, m.Platform.Architecture, bin)
		if m.Platform.Architecture == runtime.GOARCH {
			checkRuns(t, bin)
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

// crossCompile builds ./cmd/capstan statically for linux on each arch, with
// the flags of `make image`, once for the test run.
func crossCompile(t *testing.T, arches ...string) []Binary {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	var out []Binary
	for _, arch := range arches {
		file := filepath.Join(t.TempDir(), "capstan")
		cmd := exec.Command("go", "build", "-trimpath", "-ldflags", "-X github.com/capstan-cd/capstan/internal/version.Version="+testVersion, "-o", file, "./cmd/capstan")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("cross-compile for %s: %v\n%s", arch, err, b)
		}
		out = append(out, Binary{OS: "linux", Arch: arch, File: file})
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
		if name == Path && e.header.Mode&0o111 == 0 {
			t.Errorf("%s is not executable: mode %o", Path, e.header.Mode)
		}
		files[name] = e.data
	}
	if files[Path] == nil {
		t.Fatalf("no %s in the layer", Path)
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

// checkRuns runs the image's binary for this machine and reads its version.
func checkRuns(t *testing.T, bin []byte) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "capstan")
	if err := os.WriteFile(file, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(file, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("capstan version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), testVersion) {
		t.Errorf("capstan version printed %q, want %s in it", out, testVersion)
	}
}
