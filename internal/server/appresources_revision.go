package server

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/source"
)

// revisionMetadata is Argo CD's RevisionMetadata.
type revisionMetadata struct {
	Author        string    `json:"author"`
	Date          time.Time `json:"date"`
	Tags          []string  `json:"tags,omitempty"`
	Message       string    `json:"message"`
	SignatureInfo string    `json:"signatureInfo,omitempty"`
}

// revisionMetadata reads a commit of the app's Git source (the first, or
// the one sourceIndex names): only the app's own repository is asked.
func (a *API) revisionMetadata(w http.ResponseWriter, r *http.Request) {
	app, ok := a.appFor(w, r, "get")
	if !ok {
		return
	}
	if a.Backends == nil || a.Backends.Git == nil {
		writeBackendError(w, errNoBackend, "")
		return
	}
	sources := app.Spec.GetSources()
	idx := 0
	if s := r.URL.Query().Get("sourceIndex"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n >= len(sources) {
			writeError(w, http.StatusBadRequest, "sourceIndex %q: the application has %d sources", s, len(sources))
			return
		}
		idx = n
	}
	if len(sources) == 0 || source.IsChart(sources[idx]) {
		writeError(w, http.StatusBadRequest, "application %s: source %d is not a Git repository", app.Name, idx)
		return
	}
	creds, err := a.credentials(r.Context())
	if err != nil {
		writeKubeError(w, err, "application %s", app.Name)
		return
	}
	repo, _ := creds.Lookup(sources[idx].RepoURL, app.Spec.Project)
	c, err := a.Backends.Git.CommitOf(r.Context(), repo, r.PathValue("revision"))
	if err != nil {
		writeError(w, http.StatusNotFound, "application %s: revision %s: %v", app.Name, r.PathValue("revision"), err)
		return
	}
	md := revisionMetadata{Author: c.Author, Date: c.Date, Tags: c.Tags, Message: c.Message}
	if c.Signed {
		md.SignatureInfo = "signed; signature not verified by capstan"
	}
	writeJSON(w, http.StatusOK, md)
}

// credentials are the repository and repo-creds Secrets, indexed.
func (a *API) credentials(ctx context.Context) (*source.Credentials, error) {
	var secrets corev1.SecretList
	if err := a.Client.List(ctx, &secrets, client.InNamespace(a.Namespace), client.HasLabels{v1alpha1.LabelSecretType}); err != nil {
		return nil, fmt.Errorf("list repository Secrets: %w", err)
	}
	return source.NewCredentials(secrets.Items), nil
}
