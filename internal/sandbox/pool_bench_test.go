package sandbox

import (
	"context"
	"testing"

	"github.com/capstan-cd/capstan/internal/render"
)

// BenchmarkBuild compares a render in process with the same render in a
// kept worker (the cost of the round trip and of encoding the objects) and
// in a new worker each time (the cost of starting one).
func BenchmarkBuild(b *testing.B) {
	req := repoB(b, map[string]string{"cms.yaml": configMaps(5)})
	ctx := context.Background()
	b.Run("in-process", func(b *testing.B) {
		for b.Loop() {
			if _, err := render.Build(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("kept-worker", func(b *testing.B) {
		p := benchPool(b, DefaultOptions())
		for b.Loop() {
			if _, err := p.Build(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("new-worker", func(b *testing.B) {
		o := DefaultOptions()
		o.Idle, o.Keep = 0, 0
		p := benchPool(b, o)
		for b.Loop() {
			if _, err := p.Build(ctx, req); err != nil {
				b.Fatal(err)
			}
		}
	})
}
