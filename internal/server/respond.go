package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// maxRequestBytes bounds a JSON request body.
const maxRequestBytes = 4 << 20

// apiError is the body of an error answer, in the shape Argo CD's gateway
// writes: a gRPC code next to the message.
type apiError struct {
	Error   string `json:"error"`
	Code    int    `json:"code"`
	Message string `json:"message"`
}

// grpcCodes maps an HTTP status to the gRPC code Argo CD's clients expect
// next to it.
var grpcCodes = map[int]int{
	http.StatusBadRequest:          3,  // InvalidArgument
	http.StatusUnauthorized:        16, // Unauthenticated
	http.StatusForbidden:           7,  // PermissionDenied
	http.StatusNotFound:            5,  // NotFound
	http.StatusConflict:            6,  // AlreadyExists
	http.StatusTooManyRequests:     8,  // ResourceExhausted
	http.StatusPreconditionFailed:  9,  // FailedPrecondition
	http.StatusInternalServerError: 13, // Internal
	http.StatusServiceUnavailable:  14, // Unavailable
	http.StatusGatewayTimeout:      4,  // DeadlineExceeded
}

// writeError answers status with a message.
func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	code, ok := grpcCodes[status]
	if !ok {
		code = 2 // Unknown
	}
	writeJSON(w, status, apiError{Error: msg, Code: code, Message: msg})
}

// writeJSON answers status with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes the request body into v, refusing a body over
// maxRequestBytes or one that is not JSON, and answers 400 when it fails.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, maxRequestBytes)
	if err := json.NewDecoder(body).Decode(v); err != nil && !errors.Is(err, io.EOF) {
		writeError(w, http.StatusBadRequest, "read the request body: %v", err)
		return false
	}
	return true
}

// writeKubeError answers an error of the Kubernetes API with the status a
// client of capstan's API expects: a missing object is 404, a conflict 409,
// an invalid object 400; anything else is 500.
func writeKubeError(w http.ResponseWriter, err error, format string, args ...any) {
	what := fmt.Sprintf(format, args...)
	status := http.StatusInternalServerError
	switch {
	case apierrors.IsNotFound(err):
		status = http.StatusNotFound
	case apierrors.IsAlreadyExists(err), apierrors.IsConflict(err):
		status = http.StatusConflict
	case apierrors.IsInvalid(err), apierrors.IsBadRequest(err):
		status = http.StatusBadRequest
	case apierrors.IsForbidden(err):
		status = http.StatusForbidden
	}
	writeError(w, status, "%s: %v", what, err)
}
