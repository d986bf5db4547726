package server

import (
	"net/http"

	"github.com/capstan-cd/capstan/api/v1alpha1"
)

// detailedProject is Argo CD's DetailedProjectsResponse: the project with
// the repositories and clusters scoped to it, without their credentials.
type detailedProject struct {
	Project        *v1alpha1.AppProject  `json:"project"`
	GlobalProjects []v1alpha1.AppProject `json:"globalProjects"`
	Repositories   []map[string]any      `json:"repositories"`
	Clusters       []clusterView         `json:"clusters"`
}

func (a *API) detailedProject(w http.ResponseWriter, r *http.Request) {
	p, ok := a.loadProject(w, r, "get")
	if !ok {
		return
	}
	out := detailedProject{Project: p, GlobalProjects: []v1alpha1.AppProject{}, Repositories: []map[string]any{}, Clusters: []clusterView{}}
	repos, err := a.typedSecrets(r.Context(), v1alpha1.SecretTypeRepository)
	if err != nil {
		writeKubeError(w, err, "list repositories")
		return
	}
	for i := range repos {
		if proj, _ := secretValue(&repos[i], "project"); proj == p.Name {
			out.Repositories = append(out.Repositories, repoJSON(&repos[i], "repo"))
		}
	}
	entries, err := a.clusters(r)
	if err != nil {
		writeKubeError(w, err, "list clusters")
		return
	}
	for _, e := range entries {
		if e.view.Project == p.Name {
			out.Clusters = append(out.Clusters, e.view)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
