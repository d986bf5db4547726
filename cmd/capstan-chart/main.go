// Command capstan-chart works on capstan's Helm chart with the Helm SDK:
//
//	capstan-chart manifests [--out config]   # config/install.yaml and namespace-install.yaml
//	capstan-chart package --version v1.2.3 [--out bin/chart]
//
// `make generate` runs the first, `make chart` the second.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/capstan-cd/capstan/internal/install"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "capstan-chart:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: capstan-chart manifests|package [flags]")
	}
	fs := pflag.NewFlagSet("capstan-chart "+args[0], pflag.ContinueOnError)
	chartDir := fs.String("chart", install.ChartDir, "the chart's directory")
	out := fs.String("out", "", "output directory (default: config for manifests, bin/chart for package)")
	version := fs.String("version", "", "release the chart is packaged for, such as v1.2.3")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	ch, err := install.Load(*chartDir)
	if err != nil {
		return err
	}
	switch args[0] {
	case "manifests":
		dir := *out
		if dir == "" {
			dir = "config"
		}
		for _, v := range install.Variants {
			m, err := v.Manifest(ch)
			if err != nil {
				return err
			}
			if err := os.WriteFile(filepath.Join(dir, v.File), []byte(m), 0o644); err != nil {
				return err
			}
		}
		return nil
	case "package":
		dir := *out
		if dir == "" {
			dir = filepath.Join("bin", "chart")
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		path, err := install.Package(ch, *version, dir)
		if err != nil {
			return err
		}
		fmt.Println(path)
		return nil
	}
	return fmt.Errorf("unknown command %q: want manifests or package", args[0])
}
