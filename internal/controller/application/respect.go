package application

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/capstan-cd/capstan/internal/diff"
	"github.com/capstan-cd/capstan/internal/tracking"
)

// respect carries into obj the live values of the fields the
// Application's ignoreDifferences rules ignore (RespectIgnoreDifferences
// =true), so that the apply leaves them as they are: the replicas an
// autoscaler set, a field another controller fills. An object that does
// not exist yet is applied as rendered.
func (st *state) respect(ctx context.Context, obj *unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if st.ignorer == nil {
		return obj, nil
	}
	live, err := st.target.applier.Get(ctx, obj)
	if err != nil || live == nil {
		return obj, err
	}
	out, err := diff.Respect(ctx, obj, live, st.ignorer)
	if err != nil {
		return nil, fmt.Errorf("%s: RespectIgnoreDifferences: %w", tracking.Describe(obj), err)
	}
	return out, nil
}
