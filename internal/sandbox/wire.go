package sandbox

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/render"
)

// request is what a worker needs of a render.Request: everything but the
// functions, which cannot cross a process boundary. Scope is applied by
// the caller after the build (render.Cache does); chart repository
// credentials are not passed: the caller fetches the dependencies.
type request struct {
	AppName     string                     `json:"appName"`
	Project     string                     `json:"project"`
	Source      v1alpha1.ApplicationSource `json:"source"`
	Root        string                     `json:"root"`
	Revision    string                     `json:"revision"`
	Namespace   string                     `json:"namespace"`
	KubeVersion string                     `json:"kubeVersion"`
	APIVersions []string                   `json:"apiVersions"`
	Refs        map[string]string          `json:"refs"`
	Kustomize   render.KustomizeOptions    `json:"kustomize"`
	// Dependencies are the chart dependencies the caller fetched: a worker
	// reaches no repository.
	Dependencies map[string]string               `json:"dependencies"`
	Limits       struct{ Output, Objects int64 } `json:"limits"`
}

func newRequest(req render.Request, l Limits) request {
	r := request{
		AppName: req.AppName, Project: req.Project, Source: req.Source, Root: req.Root,
		Revision: req.Revision, Namespace: req.Namespace, KubeVersion: req.KubeVersion,
		APIVersions: req.APIVersions, Refs: req.Refs, Kustomize: req.Kustomize, Dependencies: req.Dependencies,
	}
	r.Limits.Output, r.Limits.Objects = l.Output, int64(l.Objects)
	return r
}

func (r request) render() render.Request {
	return render.Request{
		AppName: r.AppName, Project: r.Project, Source: r.Source, Root: r.Root,
		Revision: r.Revision, Namespace: r.Namespace, KubeVersion: r.KubeVersion,
		APIVersions: r.APIVersions, Refs: r.Refs, Kustomize: r.Kustomize, Dependencies: r.Dependencies,
	}
}

// response is a worker's answer: the objects as JSON, or the error.
type response struct {
	Objects []json.RawMessage              `json:"objects,omitempty"`
	Type    v1alpha1.ApplicationSourceType `json:"type,omitempty"`
	Inputs  []string                       `json:"inputs,omitempty"`
	Error   string                         `json:"error,omitempty"`
	// Build is set in the frame a worker writes when it is ready only:
	// the build it is (version.String), which the Pool checks against its
	// own.
	Build string `json:"build,omitempty"`
}

// A frame is a JSON document behind its length, so that the reader knows
// the size of what comes before reading it and can refuse it unread.
func writeFrame(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var size [8]byte
	binary.BigEndian.PutUint64(size[:], uint64(len(data)))
	if _, err := w.Write(size[:]); err != nil {
		return err
	}
	_, err = w.Write(data)
	return err
}

// errTooLarge is wrapped by the error for a frame over the reader's limit.
type errTooLarge struct{ size, limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("render output of %d bytes is over the limit of %d bytes", e.size, e.limit)
}

func readFrame(r io.Reader, limit int64, v any) error {
	var size [8]byte
	if _, err := io.ReadFull(r, size[:]); err != nil {
		return err
	}
	n := binary.BigEndian.Uint64(size[:])
	if n > uint64(limit) {
		return errTooLarge{size: int64(min(n, 1<<62)), limit: limit}
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(r, data); err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}
