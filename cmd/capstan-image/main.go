// Command capstan-image builds capstan's multi-platform container image from
// binaries already cross-compiled (see `make image`), into an OCI layout
// directory, and pushes it to a registry when --push names one. It needs no
// container daemon. Each platform needs capstan and its render worker,
// capstan-render.
//
//	capstan-image --binary linux/amd64=bin/image/linux-amd64/capstan \
//	  --worker linux/amd64=bin/image/linux-amd64/capstan-render \
//	  --binary linux/arm64=bin/image/linux-arm64/capstan \
//	  --worker linux/arm64=bin/image/linux-arm64/capstan-render \
//	  --version v0.1.0 --layout bin/image/oci [--push ghcr.io/org/capstan:v0.1.0]
//
// Registry credentials come from $REGISTRY_USERNAME and $REGISTRY_PASSWORD.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
	"oras.land/oras-go/v2/content/oci"

	"github.com/capstan-cd/capstan/internal/image"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "capstan-image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	var (
		opts      image.Options
		binaries  []string
		workers   []string
		layoutDir string
		tag       string
		pushRef   string
		plainHTTP bool
	)
	fs := pflag.NewFlagSet("capstan-image", pflag.ContinueOnError)
	fs.StringArrayVar(&binaries, "binary", nil, "OS/ARCH=FILE of a static capstan binary; repeat for each platform")
	fs.StringArrayVar(&workers, "worker", nil, "OS/ARCH=FILE of the static capstan-render binary of the same build; one for each --binary")
	fs.StringVar(&opts.Version, "version", "dev", "version label, also the tag of the image in the layout")
	fs.StringVar(&opts.Revision, "revision", "", "revision label (the Git commit)")
	fs.StringVar(&opts.Source, "source", "https://github.com/capstan-cd/capstan", "source label")
	fs.StringVar(&opts.Licenses, "licenses", "", "licenses label (an SPDX expression)")
	fs.StringVar(&opts.CABundle, "ca-bundle", "/etc/ssl/certs/ca-certificates.crt", "root certificates to put in the image; empty for none")
	fs.StringVar(&layoutDir, "layout", "bin/image/oci", "OCI layout directory the image is written to")
	fs.StringVar(&tag, "tag", "", "tag of the image in the layout (default: the version)")
	fs.StringVar(&pushRef, "push", "", "registry reference (host/path:tag) to push the image to")
	fs.BoolVar(&plainHTTP, "plain-http", false, "push over HTTP rather than HTTPS")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if tag == "" {
		tag = opts.Version
	}
	workerFiles := map[string]string{}
	for _, w := range workers {
		platform, file, err := platformFile("--worker", w)
		if err != nil {
			return err
		}
		workerFiles[platform] = file
	}
	var bins []image.Binary
	for _, b := range binaries {
		platform, file, err := platformFile("--binary", b)
		if err != nil {
			return err
		}
		worker, ok := workerFiles[platform]
		if !ok {
			return fmt.Errorf("--binary %q: no --worker for %s", b, platform)
		}
		delete(workerFiles, platform)
		goos, goarch, _ := strings.Cut(platform, "/")
		bins = append(bins, image.Binary{OS: goos, Arch: goarch, File: file, Worker: worker})
	}
	for platform := range workerFiles {
		return fmt.Errorf("--worker for %s: no --binary for it", platform)
	}
	store, err := oci.NewWithContext(ctx, layoutDir)
	if err != nil {
		return fmt.Errorf("open OCI layout %s: %w", layoutDir, err)
	}
	desc, err := image.Build(ctx, store, opts, bins, tag)
	if err != nil {
		return err
	}
	fmt.Printf("%s:%s %s\n", layoutDir, tag, desc.Digest)
	if pushRef == "" {
		return nil
	}
	remote := image.Remote{PlainHTTP: plainHTTP, Username: os.Getenv("REGISTRY_USERNAME"), Password: os.Getenv("REGISTRY_PASSWORD")}
	if _, err := image.Push(ctx, store, tag, pushRef, remote); err != nil {
		return err
	}
	fmt.Printf("%s %s\n", pushRef, desc.Digest)
	return nil
}

// platformFile splits flag's value OS/ARCH=FILE.
func platformFile(flag, value string) (platform, file string, err error) {
	platform, file, ok := strings.Cut(value, "=")
	goos, goarch, ok2 := strings.Cut(platform, "/")
	if !ok || !ok2 || goos == "" || goarch == "" || file == "" {
		return "", "", fmt.Errorf("%s %q: want OS/ARCH=FILE", flag, value)
	}
	return platform, file, nil
}
