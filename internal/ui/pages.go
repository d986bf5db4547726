package ui

import (
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"strings"
	"sync"
	"sync/atomic"
	"text/template/parse"
)

// layoutFile draws what is around every page; it calls the page's
// "content" and "head".
const layoutFile = "templates/layout.html"

// pages are the templates of each page, by name, parsed the first time the
// page is drawn: a capstan whose dashboard nobody opens holds none of them,
// and one that served a few pages holds only those.
type pages map[string]*pageSet

// pageSet is one page's templates: the layout, the shared partials (files
// named _*.html) that the page or the layout call, and the page's own file.
type pageSet struct {
	file string
	once sync.Once
	done atomic.Bool
	tmpl *template.Template
	err  error
}

// newPages lists the pages without parsing any.
func newPages() (pages, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list the page templates: %w", err)
	}
	p := pages{}
	for _, f := range files {
		if f == layoutFile || isPartial(f) {
			continue
		}
		p[strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")] = &pageSet{file: f}
	}
	return p, nil
}

// get returns the templates of the page named name, parsing them on the
// first call; concurrent first calls wait for the one parse.
func (p pages) get(name string) (*template.Template, error) {
	s, ok := p[name]
	if !ok {
		return nil, fmt.Errorf("no page %s", name)
	}
	s.once.Do(func() {
		s.tmpl, s.err = parsePage(name, s.file)
		s.done.Store(true)
	})
	return s.tmpl, s.err
}

// execute draws the template tmpl of the page named name into w: a part
// of the page, without the layout.
func (p pages) execute(w io.Writer, name, tmpl string, v view) error {
	t, err := p.get(name)
	if err != nil {
		return err
	}
	return t.ExecuteTemplate(w, tmpl, v)
}

// parsed tells whether the page named name was parsed already.
func (p pages) parsed(name string) bool {
	s, ok := p[name]
	return ok && s.done.Load()
}

// parsePage parses the files the page in file needs: the layout, the
// partials that it or the layout call (and those they call in turn) and
// the file itself, in that order so that the page's "head" and "content"
// replace the layout's empty ones. Each page used to parse every partial;
// most call one or two of them.
func parsePage(name, file string) (*template.Template, error) {
	files, err := pageFiles(file)
	if err != nil {
		return nil, err
	}
	t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, files...)
	if err != nil {
		return nil, fmt.Errorf("parse the page template %s: %w", file, err)
	}
	return t, nil
}

// pageFiles lists the files the page in file needs, in the order to parse
// them. A name that no file defines is left for the template package to
// report when the page is drawn (and for the tests, which draw each one).
func pageFiles(file string) ([]string, error) {
	shared, err := sharedTemplates()
	if err != nil {
		return nil, err
	}
	own, err := scanTemplates(file)
	if err != nil {
		return nil, err
	}
	defined := map[string]bool{}
	for _, n := range own.defines {
		defined[n] = true
	}
	included := map[string]bool{}
	var todo []string
	include := func(f string) {
		included[f] = true
		for _, n := range shared.files[f].defines {
			defined[n] = true
		}
		todo = append(todo, shared.files[f].calls...)
	}
	todo = append(todo, own.calls...)
	include(layoutFile)
	for len(todo) > 0 {
		n := todo[len(todo)-1]
		todo = todo[:len(todo)-1]
		if defined[n] {
			continue
		}
		if f, ok := shared.definedIn[n]; ok && !included[f] {
			include(f)
		}
	}
	var files []string
	for _, f := range shared.order {
		if included[f] {
			files = append(files, f)
		}
	}
	return append(files, file), nil
}

// templateNames are the templates a file defines and those it calls.
type templateNames struct {
	defines, calls []string
}

// sharedSet is what the layout and the partials define and call.
type sharedSet struct {
	// order is the layout, then the partials by name.
	order     []string
	files     map[string]templateNames
	definedIn map[string]string
}

// sharedTemplates scans the layout and the partials once; the parse trees
// are dropped after, only the names are kept.
var sharedTemplates = sync.OnceValues(func() (*sharedSet, error) {
	partials, err := fs.Glob(templateFS, "templates/_*.html")
	if err != nil {
		return nil, fmt.Errorf("list the partial templates: %w", err)
	}
	s := &sharedSet{order: append([]string{layoutFile}, partials...), files: map[string]templateNames{}, definedIn: map[string]string{}}
	for _, f := range s.order {
		names, err := scanTemplates(f)
		if err != nil {
			return nil, err
		}
		s.files[f] = names
		for _, n := range names.defines {
			if other, ok := s.definedIn[n]; ok {
				return nil, fmt.Errorf("the templates %s and %s both define %q", other, f, n)
			}
			s.definedIn[n] = f
		}
	}
	return s, nil
})

// isPartial tells a shared partial (a file named _*.html) from a page.
func isPartial(file string) bool {
	return strings.HasPrefix(file, "templates/_")
}

// scanTemplates reads which templates file defines and which it calls.
func scanTemplates(file string) (templateNames, error) {
	text, err := fs.ReadFile(templateFS, file)
	if err != nil {
		return templateNames{}, fmt.Errorf("read the template %s: %w", file, err)
	}
	trees := map[string]*parse.Tree{}
	t := parse.New(file)
	t.Mode = parse.SkipFuncCheck
	if _, err := t.Parse(string(text), "", "", trees); err != nil {
		return templateNames{}, fmt.Errorf("parse the template %s: %w", file, err)
	}
	var names templateNames
	for name, tree := range trees {
		if name != file {
			names.defines = append(names.defines, name)
		}
		calls(tree.Root, func(n string) { names.calls = append(names.calls, n) })
	}
	return names, nil
}

// calls reports the name of every template that node calls.
func calls(node parse.Node, found func(string)) {
	switch n := node.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			calls(c, found)
		}
	case *parse.IfNode:
		calls(n.List, found)
		calls(n.ElseList, found)
	case *parse.RangeNode:
		calls(n.List, found)
		calls(n.ElseList, found)
	case *parse.WithNode:
		calls(n.List, found)
		calls(n.ElseList, found)
	case *parse.TemplateNode:
		found(n.Name)
	}
}
