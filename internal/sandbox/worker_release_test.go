package sandbox

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/render"
)

// A worker that cannot give back its executable's pages says so and
// renders all the same: the release saves memory, nothing depends on it.
func TestServeRendersWhenReleaseFails(t *testing.T) {
	req := repo(t, map[string]string{"cms.yaml": configMaps(2)})
	var in, out, log bytes.Buffer
	if err := writeFrame(&in, newRequest(req, DefaultOptions().Limits)); err != nil {
		t.Fatal(err)
	}
	failing := func() (int64, error) { return 0, errors.New("madvise: operation not permitted") }
	if err := serve(context.Background(), &in, &out, failing, &log); err != nil {
		t.Fatalf("serve stopped: %v", err)
	}
	var hello, resp response
	if err := readFrame(&out, 1<<10, &hello); err != nil {
		t.Fatalf("no ready frame: %v", err)
	}
	if err := readFrame(&out, 64<<20, &resp); err != nil {
		t.Fatalf("no answer to the render request: %v", err)
	}
	got, err := decode(resp, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want, err := render.Build(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Objects) != len(want.Objects) {
		t.Errorf("rendered %d objects, want %d", len(got.Objects), len(want.Objects))
	}
	if msg := log.String(); !strings.Contains(msg, "operation not permitted") || strings.Count(msg, "\n") != 1 {
		t.Errorf("worker log = %q, want the release's error once", msg)
	}
}
