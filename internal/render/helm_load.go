package render

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/ignore"
)

// loadChart loads the chart directory dir the way Helm's loader does
// (.helmignore and its defaults honoured, links followed) but through the
// repository's tree: a link, to a file or a directory, that leads out of
// the repository fails the load, so a template's .Files can hold nothing
// of the machine that renders it. It returns the chart and the files read.
func loadChart(t *tree, dir string) (*chart.Chart, []string, error) {
	rules := ignore.Empty()
	var read []string
	ignorePath := filepath.Join(dir, ignore.HelmIgnore)
	if data, err := t.readFile(ignorePath); err == nil {
		if rules, err = ignore.Parse(bytes.NewReader(data)); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", t.rel(ignorePath), err)
		}
		// An input even when its own rules leave it out of the chart.
		read = append(read, ignorePath)
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("read helm chart %s: %w", t.rel(dir), err)
	}
	rules.AddDefaults()
	top, err := t.realName(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("read helm chart %s: %w", t.rel(dir), err)
	}
	l := chartLoader{t: t, dir: dir, rules: rules, read: read}
	if err := l.walk("", filepath.ToSlash(top), nil); err != nil {
		return nil, nil, fmt.Errorf("read helm chart %s: %w", t.rel(dir), err)
	}
	ch, err := loader.LoadFiles(l.files)
	if err != nil {
		return nil, nil, fmt.Errorf("load helm chart %s: %w", t.rel(dir), err)
	}
	return ch, l.read, nil
}

// chartLoader collects the files of one chart directory.
type chartLoader struct {
	t     *tree
	dir   string
	rules *ignore.Rules
	files []*loader.BufferedFile
	read  []string
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// walk reads the directory n of the chart (slash-separated, "" for the
// top) whose real name in the tree is real; above holds the real names of
// the directories it is in, so that a link back to one is refused rather
// than walked forever.
func (l *chartLoader) walk(n, real string, above []string) error {
	above = append(above, real)
	entries, err := l.t.readDir(l.t.abs(filepath.FromSlash(real)))
	if err != nil {
		return err
	}
	// What the chart holds depends on the listing too: a file added to a
	// directory the path's digest does not cover (a dependency outside
	// it, templates behind a link) must render again.
	l.read = append(l.read, listed(filepath.Join(l.dir, filepath.FromSlash(n))))
	for _, e := range entries {
		name := path.Join(n, e.Name())
		abs := filepath.Join(l.dir, filepath.FromSlash(name))
		fi, err := l.t.stat(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", l.t.rel(abs), err)
		}
		if fi.IsDir() {
			if l.rules.Ignore(name, fi) {
				continue
			}
			sub := path.Join(real, e.Name())
			if e.Type()&fs.ModeSymlink != 0 {
				if sub, err = resolveLinks(sub, l.t.readlink); err != nil {
					return fmt.Errorf("%s: %w", l.t.rel(abs), err)
				}
				if slices.ContainsFunc(above, func(d string) bool { return sub == "." || strings.HasPrefix(d+"/", sub+"/") }) {
					return fmt.Errorf("%s: symbolic link to a directory that holds it", l.t.rel(abs))
				}
			}
			if err := l.walk(name, sub, above); err != nil {
				return err
			}
			continue
		}
		if l.rules.Ignore(name, fi) {
			continue
		}
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("%s: not a regular file", l.t.rel(abs))
		}
		if fi.Size() > loader.MaxDecompressedFileSize {
			return fmt.Errorf("%s: larger than the maximum file size %d", l.t.rel(abs), loader.MaxDecompressedFileSize)
		}
		data, err := l.t.readFile(abs)
		if err != nil {
			return fmt.Errorf("%s: %w", l.t.rel(abs), err)
		}
		l.files = append(l.files, &loader.BufferedFile{Name: name, Data: bytes.TrimPrefix(data, utf8BOM)})
		l.read = append(l.read, abs)
	}
	return nil
}
