package rbac

import (
	"regexp/syntax"
	"strings"
	"unicode/utf8"
)

// shape is what can be told of an object pattern without running it:
// the text every string it matches starts with, and, for the common
// patterns "<prefix>*" and "<prefix>*/*", that it matches every string so
// starting. A batch uses it to decide one object of a project for all.
type shape struct {
	// lit starts every string the pattern matches.
	lit  string
	kind shapeKind
}

type shapeKind int

const (
	// shapeOther matches strings starting with lit; nothing more is known.
	shapeOther shapeKind = iota
	// shapeExact matches lit alone.
	shapeExact
	// shapeRest matches every string starting with lit.
	shapeRest
	// shapeSlash matches every string starting with lit that holds a "/"
	// after lit.
	shapeSlash
)

// In regex mode, "." stops at a newline: a shape's "every string" means
// every string without one, and a batch decides an object holding one on
// its own.

// shapeOf is the shape of pattern text in mode. It may know less than
// the pattern says, never more: a pattern it cannot read is shapeOther
// with an empty lit.
func shapeOf(mode, text string) shape {
	if mode == MatchRegex {
		return regexShape(text)
	}
	return globShape(text)
}

// globSpecial are the characters that may mean more than themselves in
// a glob, and a few more for safety.
const globSpecial = `*?[]{}\,!`

// globShape reads a glob, whose * matches any run of characters, "/"
// included.
func globShape(text string) shape {
	i := strings.IndexAny(text, globSpecial)
	if i < 0 {
		return shape{lit: text, kind: shapeExact}
	}
	lit, rest := text[:i], strings.TrimLeft(text[i:], "*")
	switch {
	case len(rest) == len(text)-i:
		// The first special character is not a *.
		return shape{lit: lit}
	case rest == "":
		return shape{lit: lit, kind: shapeRest}
	case rest[0] == '/' && rest[1:] != "" && strings.Trim(rest[1:], "*") == "":
		return shape{lit: lit, kind: shapeSlash}
	}
	return shape{lit: lit}
}

// regexShape reads a regular expression as compilePattern compiles it:
// anchored at both ends, with Go's (Perl) syntax.
func regexShape(text string) shape {
	re, err := syntax.Parse(text, syntax.Perl)
	if err != nil {
		return shape{}
	}
	re = re.Simplify()
	subs := []*syntax.Regexp{re}
	if re.Op == syntax.OpConcat {
		subs = re.Sub
	}
	var lit string
	if len(subs) > 0 && isLiteral(subs[0]) {
		lit, subs = string(subs[0].Rune), subs[1:]
	}
	switch {
	case len(subs) == 0:
		return shape{lit: lit, kind: shapeExact}
	case len(subs) == 1 && isAnyRun(subs[0]):
		return shape{lit: lit, kind: shapeRest}
	case len(subs) == 3 && isAnyRun(subs[0]) && isLiteral(subs[1]) && string(subs[1].Rune) == "/" && isAnyRun(subs[2]):
		return shape{lit: lit, kind: shapeSlash}
	}
	return shape{lit: lit}
}

// isLiteral reports whether re is a case-sensitive literal string.
func isLiteral(re *syntax.Regexp) bool {
	return re.Op == syntax.OpLiteral && re.Flags&syntax.FoldCase == 0 && len(re.Rune) > 0
}

// isAnyRun reports whether re is .* (with or without the s flag).
func isAnyRun(re *syntax.Regexp) bool {
	return re.Op == syntax.OpStar && (re.Sub[0].Op == syntax.OpAnyChar || re.Sub[0].Op == syntax.OpAnyCharNotNL)
}

// coverage is how much of the objects under one prefix a pattern
// matches.
type coverage int

const (
	coversSome coverage = iota
	coversNone
	coversAll
)

// over tells whether s matches none, all or some of the strings that
// start with prefix, which holds no "/" but its last byte, and no
// newline. A shape that knows too little answers coversSome.
func (s shape) over(prefix string) coverage {
	n := min(len(s.lit), len(prefix))
	if s.lit[:n] != prefix[:n] {
		// Every match starts with lit, no string under prefix does.
		return coversNone
	}
	switch {
	case s.kind == shapeExact && len(s.lit) < len(prefix):
		return coversNone
	case s.kind == shapeRest && len(s.lit) <= len(prefix):
		return coversAll
	case s.kind == shapeSlash && len(s.lit) < len(prefix):
		// The "/" at the end of prefix lies after lit.
		return coversAll
	}
	return coversSome
}

// validPrefix reports whether a batch may read shapes over "<project>/":
// a project name of valid UTF-8 without "/" or newline.
func validPrefix(project string) bool {
	return project != "" && utf8.ValidString(project) && !strings.ContainsAny(project, "/\n")
}
