package server

import (
	"net/http"
	"runtime"

	"github.com/capstan-cd/capstan/internal/version"
)

// versionMessage is Argo CD's VersionMessage.
type versionMessage struct {
	Version      string `json:"Version"`
	BuildDate    string `json:"BuildDate,omitempty"`
	GitCommit    string `json:"GitCommit,omitempty"`
	GitTag       string `json:"GitTag,omitempty"`
	GitTreeState string `json:"GitTreeState,omitempty"`
	GoVersion    string `json:"GoVersion,omitempty"`
	Compiler     string `json:"Compiler,omitempty"`
	Platform     string `json:"Platform,omitempty"`
}

// versionRoutes serve GET /api/version. Anyone may ask for the version; the
// build details (commit, Go version, platform), which help an attacker
// pick an exploit, are for signed-in callers only.
func (a *API) versionRoutes() []route {
	return []route{{pattern: "GET /api/version", public: true, doc: "Get the server's version, and its build details for a signed-in caller", handle: func(w http.ResponseWriter, r *http.Request) {
		msg := versionMessage{Version: version.Version}
		if a.signedIn(r) {
			msg.GitCommit = version.Commit
			msg.GoVersion = runtime.Version()
			msg.Compiler = runtime.Compiler
			msg.Platform = runtime.GOOS + "/" + runtime.GOARCH
		}
		writeJSON(w, http.StatusOK, msg)
	}}}
}

// signedIn reports whether a request to a public endpoint carries a valid
// token.
func (a *API) signedIn(r *http.Request) bool {
	token := bearer(r)
	if token == "" || a.Auth == nil {
		return false
	}
	_, err := a.Auth.Authenticate(r.Context(), token)
	return err == nil
}
