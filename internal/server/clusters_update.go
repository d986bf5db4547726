package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// clusterUpdaters copy one field of an update onto the stored cluster,
// under the name Argo CD's updatedFields gives it.
var clusterUpdaters = map[string]func(to *clusterFields, from clusterFields){
	"name":             func(to *clusterFields, from clusterFields) { to.Name = from.Name },
	"namespaces":       func(to *clusterFields, from clusterFields) { to.Namespaces = from.Namespaces },
	"clusterResources": func(to *clusterFields, from clusterFields) { to.ClusterResources = from.ClusterResources },
	"project":          func(to *clusterFields, from clusterFields) { to.Project = from.Project },
	"shard":            func(to *clusterFields, from clusterFields) { to.Shard = from.Shard },
	"labels":           func(to *clusterFields, from clusterFields) { to.Labels = from.Labels },
	"annotations":      func(to *clusterFields, from clusterFields) { to.Annotations = from.Annotations },
	"config":           func(to *clusterFields, from clusterFields) { to.Config = from.Config },
}

// mergeClusterUpdate is stored with the fields of update that fields
// name; a name that is no field is an error rather than a change lost.
func mergeClusterUpdate(stored, update clusterFields, fields []string) (clusterFields, error) {
	out := stored
	for _, f := range fields {
		copyField, ok := clusterUpdaters[f]
		if !ok {
			known := make([]string, 0, len(clusterUpdaters))
			for k := range clusterUpdaters {
				known = append(known, k)
			}
			slices.Sort(known)
			return clusterFields{}, fmt.Errorf("updatedFields: %q is not a field of a cluster one may update (%s)", f, strings.Join(known, ", "))
		}
		copyField(&out, update)
	}
	return out, nil
}

// storedCluster is the cluster of a Secret with its config whole,
// credentials included, as an update writes it back.
func storedCluster(s *corev1.Secret) (clusterFields, error) {
	v, err := clusterFromSecret(s)
	if err != nil {
		return clusterFields{}, err
	}
	c := v.clusterFields
	if c.Config, err = storedConfig(s); err != nil {
		return clusterFields{}, err
	}
	return c, nil
}

// storedConfig is the connection config of the cluster Secret s, empty
// when it has none. A config that is not JSON is an error, not an empty
// one: a write that took it for empty would drop the stored credentials.
func storedConfig(s *corev1.Secret) (map[string]any, error) {
	config := map[string]any{}
	if raw, ok := secretValue(s, "config"); ok && strings.TrimSpace(raw) != "" {
		if err := json.Unmarshal([]byte(raw), &config); err != nil {
			return nil, fmt.Errorf("cluster Secret %s: key config is not valid JSON: %w", s.Name, err)
		}
	}
	return config, nil
}

// updateCluster writes a cluster whole, or, with updatedFields, only the
// fields named there (repeatable or comma-separated), as Argo CD's
// cluster set does.
func (a *API) updateCluster(w http.ResponseWriter, r *http.Request) {
	var req clusterRequest
	if !readJSON(w, r, &req) {
		return
	}
	e, ok := a.loadCluster(w, r, "update")
	if !ok {
		return
	}
	if e.secret == nil {
		writeError(w, http.StatusBadRequest, "the in-cluster destination has no Secret to update: create one for its server")
		return
	}
	if fields := splitList(r.URL.Query()["updatedFields"]); len(fields) > 0 {
		stored, err := storedCluster(e.secret)
		if err != nil {
			writeError(w, http.StatusInternalServerError, "%v", err)
			return
		}
		if req, err = mergeClusterUpdate(stored, req, fields); err != nil {
			writeError(w, http.StatusBadRequest, "%v", err)
			return
		}
	} else if !sameServer(req.Server, e.view.Server) {
		writeError(w, http.StatusBadRequest, "the body's server %s is not the server of cluster %s", req.Server, e.view.Server)
		return
	}
	// Moving the cluster into another project needs the right there too.
	if req.Project != e.view.Project && !a.allowed(w, r, "clusters", "update", repoObject(req.Project, e.view.Server)) {
		return
	}
	a.writeCluster(w, r, e.secret, req)
}
