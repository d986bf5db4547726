package diff

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itchyny/gojq"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// Ignorer holds an Application's ignoreDifferences rules, compiled once,
// and the installation's comparison options.
type Ignorer struct {
	rules []rule
	opts  Options
}

type rule struct {
	spec     v1alpha1.ResourceIgnoreDifferences
	pointers [][]string
	queries  []query
}

// query is a compiled jq path expression and the expression as written,
// to name it in errors.
type query struct {
	expr string
	code *gojq.Code
}

// QueryTimeout bounds one evaluation of a jq path expression. Removing a
// path from a Kubernetes object takes microseconds; an expression that
// loops (written by mistake or on purpose) must not hold a worker.
var QueryTimeout = 250 * time.Millisecond

// NewIgnorer compiles rules. A malformed JSON pointer or jq expression is an
// error naming it.
func NewIgnorer(rules []v1alpha1.ResourceIgnoreDifferences) (*Ignorer, error) {
	ign := &Ignorer{}
	for i, r := range rules {
		cr := rule{spec: r}
		for _, p := range r.JSONPointers {
			tokens, err := parsePointer(p)
			if err != nil {
				return nil, fmt.Errorf("ignoreDifferences[%d]: %w", i, err)
			}
			cr.pointers = append(cr.pointers, tokens)
		}
		for _, expr := range r.JQPathExpressions {
			q, err := gojq.Parse("del(" + expr + ")")
			if err != nil {
				return nil, fmt.Errorf("ignoreDifferences[%d]: jq path expression %q: %w", i, expr, err)
			}
			code, err := gojq.Compile(q)
			if err != nil {
				return nil, fmt.Errorf("ignoreDifferences[%d]: jq path expression %q: %w", i, expr, err)
			}
			cr.queries = append(cr.queries, query{expr: expr, code: code})
		}
		ign.rules = append(ign.rules, cr)
	}
	return ign, nil
}

// matches reports whether the rule applies to obj. Group and kind may be
// globs ("*" for any); an empty name or namespace matches any.
func (r rule) matches(obj *unstructured.Unstructured) bool {
	gk := obj.GroupVersionKind().GroupKind()
	if ok, _ := path.Match(r.spec.Group, gk.Group); !ok {
		return false
	}
	if ok, _ := path.Match(r.spec.Kind, gk.Kind); !ok {
		return false
	}
	if r.spec.Name != "" && r.spec.Name != obj.GetName() {
		return false
	}
	return r.spec.Namespace == "" || r.spec.Namespace == obj.GetNamespace()
}

// Applies reports whether a rule of ign applies to obj: a comparison of
// obj drops what the rule names. A nil Ignorer has no rules.
func (ign *Ignorer) Applies(obj *unstructured.Unstructured) bool {
	return ign != nil && slices.ContainsFunc(ign.rules, func(r rule) bool { return r.matches(obj) })
}

// apply removes from m (the plain form of obj) every path a matching rule
// ignores. Fields owned by the rule's managers are read from live.
func (ign *Ignorer) apply(ctx context.Context, m map[string]any, obj, live *unstructured.Unstructured) error {
	for _, r := range ign.rules {
		if !r.matches(obj) {
			continue
		}
		for _, tokens := range r.pointers {
			removePointer(m, tokens)
		}
		for _, q := range r.queries {
			out, err := q.run(ctx, m)
			if err != nil {
				return fmt.Errorf("%s %s: ignoreDifferences: %w", obj.GetKind(), obj.GetName(), err)
			}
			clear(m)
			for k, v := range out {
				m[k] = v
			}
		}
		if len(r.spec.ManagedFieldsManagers) > 0 && live != nil {
			if err := removeManaged(m, live, r.spec.ManagedFieldsManagers); err != nil {
				return fmt.Errorf("%s %s: ignoreDifferences: %w", obj.GetKind(), obj.GetName(), err)
			}
		}
	}
	return nil
}

// run evaluates the query on m, for at most QueryTimeout and never past
// ctx: gojq checks the context between the steps of its evaluation.
func (q query) run(ctx context.Context, m map[string]any) (map[string]any, error) {
	ctx, cancel := context.WithTimeout(ctx, QueryTimeout)
	defer cancel()
	v, ok := q.code.RunWithContext(ctx, m).Next()
	if !ok {
		return m, nil
	}
	if err, isErr := v.(error); isErr {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, fmt.Errorf("jq path expression %q did not finish within %s: %w", q.expr, QueryTimeout, err)
		}
		return nil, fmt.Errorf("jq path expression %q: %w", q.expr, err)
	}
	out, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("jq path expression %q turned the object into %T", q.expr, v)
	}
	return out, nil
}

// parsePointer splits an RFC 6901 JSON pointer into its unescaped tokens.
func parsePointer(p string) ([]string, error) {
	if p == "" {
		return nil, fmt.Errorf("JSON pointer is empty")
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("JSON pointer %q does not start with /", p)
	}
	tokens := strings.Split(p[1:], "/")
	for i, t := range tokens {
		tokens[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	return tokens, nil
}

// removePointer deletes the value the pointer names, if there is one.
func removePointer(v any, tokens []string) {
	if len(tokens) == 0 {
		return
	}
	last := len(tokens) == 1
	switch c := v.(type) {
	case map[string]any:
		if last {
			delete(c, tokens[0])
			return
		}
		removePointer(c[tokens[0]], tokens[1:])
	case []any:
		i, err := strconv.Atoi(tokens[0])
		if err != nil || i < 0 || i >= len(c) {
			return
		}
		if last {
			// Blank the element rather than shift the list, which would
			// make every later element look changed.
			c[i] = nil
			return
		}
		removePointer(c[i], tokens[1:])
	}
}

func managersContain(managers []string, name string) bool {
	return slices.Contains(managers, name)
}
