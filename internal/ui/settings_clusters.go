package ui

import (
	"net/http"
	"strings"
	"time"
)

// clusterRoutes are the Clusters pages: the list, a cluster's page and
// removing one, through /api/v1/clusters. Clusters are added outside the
// UI, where their credentials are.
func (u *UI) clusterRoutes() []route {
	return []route{
		{pattern: "GET /settings/clusters", handle: u.clustersPage},
		{pattern: "GET /settings/clusters/{server}", handle: u.clusterPage},
		{pattern: "POST /settings/clusters/{server}/delete", handle: u.deleteCluster},
	}
}

// inClusterServer is the server of the cluster capstan runs in.
const inClusterServer = "https://kubernetes.default.svc"

// clusterItem is a cluster as the API shows it: never its credentials.
type clusterItem struct {
	Server           string            `json:"server"`
	Name             string            `json:"name"`
	Namespaces       []string          `json:"namespaces"`
	ClusterResources bool              `json:"clusterResources"`
	Project          string            `json:"project"`
	Labels           map[string]string `json:"labels"`
	Annotations      map[string]string `json:"annotations"`
	Config           struct {
		TLSClientConfig struct {
			Insecure   bool   `json:"insecure"`
			ServerName string `json:"serverName"`
		} `json:"tlsClientConfig"`
		Username string `json:"username"`
	} `json:"config"`
	ConnectionState connState `json:"connectionState"`
	ServerVersion   string    `json:"serverVersion"`
	Info            struct {
		ServerVersion     string     `json:"serverVersion"`
		ConnectionState   *connState `json:"connectionState"`
		ApplicationsCount int        `json:"applicationsCount"`
	} `json:"info"`
}

// connState is how the API last reached a cluster.
type connState struct {
	Status      string     `json:"status"`
	Message     string     `json:"message"`
	AttemptedAt *time.Time `json:"attemptedAt"`
}

// Connection is how the API last reached the cluster: from info, or the
// top level where older servers answer it.
func (c clusterItem) Connection() connState {
	if c.Info.ConnectionState != nil && c.Info.ConnectionState.Status != "" {
		return *c.Info.ConnectionState
	}
	return c.ConnectionState
}

// InCluster reports whether the cluster is the one capstan runs in, which
// cannot be removed.
func (c clusterItem) InCluster() bool {
	return strings.EqualFold(strings.TrimRight(c.Server, "/"), inClusterServer)
}

// Version is the cluster's Kubernetes version, when the API knows it.
func (c clusterItem) Version() string {
	if c.Info.ServerVersion != "" {
		return c.Info.ServerVersion
	}
	return c.ServerVersion
}

func (u *UI) clustersPage(w http.ResponseWriter, r *http.Request, c *call) {
	var list struct {
		Items []clusterItem `json:"items"`
	}
	if err := c.get("/api/v1/clusters", &list); err != nil {
		u.fail(w, r, c, err)
		return
	}
	u.render(w, r, c, http.StatusOK, "settings_clusters", "Clusters", "settings", struct {
		Done     notice
		Clusters []clusterItem
	}{doneNotice(r), list.Items})
}

func (u *UI) clusterPage(w http.ResponseWriter, r *http.Request, c *call) {
	var cl clusterItem
	if err := c.get(path("/api/v1/clusters", []string{r.PathValue("server")}, nil), &cl); err != nil {
		u.fail(w, r, c, err)
		return
	}
	u.render(w, r, c, http.StatusOK, "settings_cluster", "Cluster "+cl.Name, "settings", struct {
		Cluster   clusterItem
		CanDelete bool
	}{cl, !cl.InCluster() && c.can("clusters", "delete", repoObject(cl.Project, cl.Server))})
}

func (u *UI) deleteCluster(w http.ResponseWriter, r *http.Request, c *call) {
	if _, err := c.do(http.MethodDelete, path("/api/v1/clusters", []string{r.PathValue("server")}, nil), nil, nil); err != nil {
		u.fail(w, r, c, err)
		return
	}
	redirectDone(w, r, "/settings/clusters", "cluster-deleted")
}
