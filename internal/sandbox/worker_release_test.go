package sandbox

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
	if err := serve(context.Background(), &in, &out, failing, &log, time.Hour); err != nil {
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

// A worker left waiting gives back its pages and free heap again, as
// after its start, and still renders the next request.
func TestServeSettlesWhenQuiet(t *testing.T) {
	req := repo(t, map[string]string{"cms.yaml": configMaps(2)})
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	var releases atomic.Int32
	release := func() (int64, error) { releases.Add(1); return 0, nil }
	served := make(chan error, 1)
	go func() { served <- serve(context.Background(), inR, outW, release, io.Discard, 20*time.Millisecond) }()
	var hello response
	if err := readFrame(outR, 1<<10, &hello); err != nil {
		t.Fatalf("no ready frame: %v", err)
	}
	for round := range 2 {
		if err := writeFrame(inW, newRequest(req, DefaultOptions().Limits)); err != nil {
			t.Fatal(err)
		}
		var resp response
		if err := readFrame(outR, 64<<20, &resp); err != nil || resp.Error != "" {
			t.Fatalf("render %d: %v %s", round, err, resp.Error)
		}
		want := int32(round + 2) // the start's release, and one after each render
		waitFor(t, "the worker to settle", func() bool { return releases.Load() == want })
	}
	time.Sleep(100 * time.Millisecond)
	if n := releases.Load(); n != 3 {
		t.Errorf("%d releases after two renders and a long wait, want 3: a worker settles once after each render", n)
	}
	inW.Close()
	if err := <-served; err != nil {
		t.Errorf("serve: %v", err)
	}
}
