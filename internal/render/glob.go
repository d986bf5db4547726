package render

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// globRegexp compiles a directory include or exclude pattern. As in Argo
// CD, the pattern is matched against a file's path relative to the
// application's path; `*` and `?` also match `/`, `{a,b}` matches either
// alternative, `[abc]`, `[a-z]` and `[!a]` match one character, and `\`
// quotes the next character.
func globRegexp(pattern string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteString("^")
	depth := 0
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch c := rs[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '{':
			depth++
			b.WriteString("(?:")
		case '}':
			if depth == 0 {
				b.WriteString(`\}`)
				continue
			}
			depth--
			b.WriteString(")")
		case ',':
			if depth == 0 {
				b.WriteString(",")
				continue
			}
			b.WriteString("|")
		case '[':
			end := slices.Index(rs[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("glob %q: unterminated [", pattern)
			}
			class := string(rs[i+1 : i+1+end])
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += end + 1
		case '\\':
			if i+1 < len(rs) {
				i++
				c = rs[i]
			}
			b.WriteString(regexp.QuoteMeta(string(c)))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if depth != 0 {
		return nil, fmt.Errorf("glob %q: unterminated {", pattern)
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("glob %q: %w", pattern, err)
	}
	return re, nil
}

// fileFilter decides which files of a directory source are read.
type fileFilter struct {
	include, exclude *regexp.Regexp
}

func newFileFilter(include, exclude string) (fileFilter, error) {
	var f fileFilter
	var err error
	if include != "" {
		if f.include, err = globRegexp(include); err != nil {
			return f, fmt.Errorf("directory include: %w", err)
		}
	}
	if exclude != "" {
		if f.exclude, err = globRegexp(exclude); err != nil {
			return f, fmt.Errorf("directory exclude: %w", err)
		}
	}
	return f, nil
}

// match reports whether the file at rel, relative to the application's
// path with forward slashes, is read. Exclude wins over include.
func (f fileFilter) match(rel string) bool {
	if f.exclude != nil && f.exclude.MatchString(rel) {
		return false
	}
	return f.include == nil || f.include.MatchString(rel)
}
