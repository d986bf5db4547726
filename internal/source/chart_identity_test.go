package source

import (
	"errors"
	"testing"

	"github.com/capstan-cd/capstan/api/v1alpha1"
	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// A chart pulled with one project's credentials is not served to a request
// without them, from a Helm repository or an OCI registry: the request goes
// to the server, which refuses it.
func TestChartsPrivateChartNotSharedAcrossIdentities(t *testing.T) {
	helm := helmRepoFixture(t, false, registry.HelmRepoOptions{Username: helmUser, Password: helmPassword})
	oci := registry.Start(t, registry.Options{})
	pushCharts(t, oci)
	owners := map[string]Repository{
		"helm repository": {URL: helm.URL, Type: "helm", Username: helmUser, Password: helmPassword},
		"oci registry":    {URL: oci.URL("charts"), Type: "helm", InsecureOCIForceHTTP: true, Username: oci.Username, Password: oci.Password},
	}
	for name, owner := range owners {
		t.Run(name, func(t *testing.T) {
			charts, _ := testCharts(t)
			fetcher := &Fetcher{Charts: charts}
			src := v1alpha1.ApplicationSource{RepoURL: owner.URL, Chart: "guestbook", TargetRevision: "1.0.0"}
			if _, err := fetcher.Fetch(t.Context(), owner, src); err != nil {
				t.Fatalf("fetch with credentials: %v", err)
			}
			anonymous := owner
			anonymous.Username, anonymous.Password = "", ""
			wrong := owner
			wrong.Password = "guess"
			for _, other := range []Repository{anonymous, wrong} {
				if _, err := fetcher.Fetch(t.Context(), other, src); !errors.Is(err, ErrAuth) {
					t.Errorf("fetch with password %q: %v, want an authentication error", other.Password, err)
				}
				if _, err := charts.Pull(t.Context(), other, "guestbook", "1.0.0"); !errors.Is(err, ErrAuth) {
					t.Errorf("pull with password %q: %v, want an authentication error", other.Password, err)
				}
			}
		})
	}
}
