package health

import (
	"context"
	"fmt"
	"reflect"

	"github.com/google/cel-go/cel"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// celCostLimit bounds the work of one evaluation of a CEL health
// expression, as counted by CEL itself: enough for comprehensions over an
// object's conditions, not for one that builds or walks huge lists.
const celCostLimit = 1_000_000

// celCheck is a compiled CEL health expression.
type celCheck struct {
	prg cel.Program
}

// CEL compiles a health expression: it sees the object as obj and
// evaluates to either a status string ("Healthy", "Progressing", ...) or a
// map with status and message, for example
//
//	has(obj.status) && obj.status.phase == "Ready" ? {"status": "Healthy"} : {"status": "Progressing", "message": "waiting"}
//
// (both branches of a conditional have one type: two maps or two strings).
// Evaluation is bounded by a cost limit and ScriptTimeout.
func CEL(expr string) (Check, error) {
	env, err := cel.NewEnv(cel.Variable("obj", cel.DynType), cel.ParserExpressionSizeLimit(64*1024), cel.ParserRecursionLimit(100))
	if err != nil {
		return nil, err
	}
	ast, iss := env.Compile(expr)
	if iss.Err() != nil {
		return nil, fmt.Errorf("compile CEL: %w", iss.Err())
	}
	prg, err := env.Program(ast, cel.CostLimit(celCostLimit), cel.InterruptCheckFrequency(100))
	if err != nil {
		return nil, fmt.Errorf("compile CEL: %w", err)
	}
	return &celCheck{prg: prg}, nil
}

func (c *celCheck) Assess(ctx context.Context, obj *unstructured.Unstructured) (*Status, error) {
	ctx, cancel := context.WithTimeout(ctx, ScriptTimeout)
	defer cancel()
	out, _, err := c.prg.ContextEval(ctx, map[string]any{"obj": obj.Object})
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("health expression did not finish within %s", ScriptTimeout)
		}
		return nil, fmt.Errorf("health expression: %w", err)
	}
	if s, ok := out.Value().(string); ok {
		st, err := statusOf(s, "")
		if err != nil {
			return nil, fmt.Errorf("health expression: %w", err)
		}
		return st, nil
	}
	m, err := out.ConvertToNative(reflect.TypeFor[map[string]string]())
	if err != nil {
		return nil, fmt.Errorf("health expression returned %s, not a status or a map of status and message", out.Type().TypeName())
	}
	fields := m.(map[string]string)
	st, err := statusOf(fields["status"], fields["message"])
	if err != nil {
		return nil, fmt.Errorf("health expression: %w", err)
	}
	return st, nil
}
