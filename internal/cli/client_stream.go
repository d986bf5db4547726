package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// appEvent is one change of an Application in the event stream.
type appEvent struct {
	Type        string               `json:"type"`
	Application v1alpha1.Application `json:"application"`
}

// maxEventBytes bounds one event of the stream: an Application's status
// can be large, but not without bound.
const maxEventBytes = 16 << 20

// watchApplication follows /api/v1/stream/applications?name=NAME and calls
// fn with each event until fn returns done or an error, or the stream ends.
func (c *apiClient) watchApplication(ctx context.Context, name string, fn func(appEvent) (bool, error)) error {
	const path = "/api/v1/stream/applications"
	req, err := c.request(ctx, http.MethodGet, path, url.Values{"name": {name}}, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return &apiError{Method: http.MethodGet, Path: path, Status: resp.StatusCode, Message: errorMessage(data)}
	}
	return readEvents(resp.Body, func(data []byte) (bool, error) {
		ev, err := decodeEvent(data)
		if err != nil {
			return false, fmt.Errorf("GET %s: %w", path, err)
		}
		if ev.Application.Name == "" {
			return false, nil // a keep-alive
		}
		return fn(ev)
	})
}

// readEvents calls fn with the data of each event of r, which may be
// server-sent events ("data: ..." lines, an empty line ending each) or
// newline-delimited JSON, until fn is done or r ends.
func readEvents(r io.Reader, fn func([]byte) (bool, error)) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxEventBytes)
	var pending []byte
	flush := func() (bool, error) {
		if len(bytes.TrimSpace(pending)) == 0 {
			pending = pending[:0]
			return false, nil
		}
		data := pending
		pending = nil
		return fn(data)
	}
	for sc.Scan() {
		line := sc.Bytes()
		var done bool
		var err error
		switch {
		case bytes.HasPrefix(line, []byte("data:")):
			pending = append(pending, bytes.TrimPrefix(bytes.TrimPrefix(line, []byte("data:")), []byte(" "))...)
			continue
		case bytes.HasPrefix(line, []byte(":")), bytes.HasPrefix(line, []byte("event:")), bytes.HasPrefix(line, []byte("id:")), bytes.HasPrefix(line, []byte("retry:")):
			continue
		case len(bytes.TrimSpace(line)) == 0:
			done, err = flush()
		default:
			pending = append(pending[:0], line...)
			done, err = flush()
		}
		if done || err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read the event stream: %w", err)
	}
	_, err := flush()
	return err
}

// decodeEvent decodes one event: {"result": {type, application}} as a
// gateway streams it, or the event bare.
func decodeEvent(data []byte) (appEvent, error) {
	var wrapped struct {
		Result *appEvent `json:"result"`
		Error  *struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal(data, &wrapped); err != nil {
		return appEvent{}, fmt.Errorf("decode an event: %w", err)
	}
	if wrapped.Error != nil {
		return appEvent{}, fmt.Errorf("the stream failed: %s", wrapped.Error.Message)
	}
	if wrapped.Result != nil {
		return *wrapped.Result, nil
	}
	var ev appEvent
	if err := json.Unmarshal(data, &ev); err != nil {
		return appEvent{}, fmt.Errorf("decode an event: %w", err)
	}
	return ev, nil
}
