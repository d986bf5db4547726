package imageupdater

import (
	"strings"
	"testing"

	"github.com/capstan-cd/capstan/internal/testenv/registry"
)

// TestFinderTokenAuth reads a registry that authenticates with bearer
// tokens from a token service, as Docker Hub, GHCR and ECR do.
func TestFinderTokenAuth(t *testing.T) {
	reg := registry.Start(t, registry.Options{Token: true})
	newPusher(t, reg, "team/app").tagged(at(1), "1.0.0", "1.1.0")
	pushed := reg.TokensIssued()
	t.Setenv("TOKEN_CREDS", reg.Username+":"+reg.Password)
	t.Setenv("WRONG_CREDS", reg.Username+":wrong")
	image := reg.Host + "/team/app"

	f := NewFinder(FinderOptions{})
	f.SetRegistries(confFor(t, reg, "credentials: env:TOKEN_CREDS"))
	got := updates(t, f, map[string]string{AnnotationImageList: "app=" + image}, image+":1.0.0")
	if len(got) != 1 || got[0].Tag != "1.1.0" {
		t.Errorf("Updates = %+v, want one to 1.1.0", got)
	}
	if reg.TokensIssued() == pushed {
		t.Error("the finder read the registry without a token")
	}

	f = NewFinder(FinderOptions{})
	f.SetRegistries(confFor(t, reg, "credentials: env:WRONG_CREDS"))
	got, err := f.Updates(t.Context(), app(map[string]string{AnnotationImageList: "app=" + image}, image+":1.0.0"))
	if err == nil || !strings.Contains(err.Error(), "401") || len(got) != 0 {
		t.Errorf("with a wrong password: Updates = %+v, %v; want no update and a 401 error", got, err)
	}
}
