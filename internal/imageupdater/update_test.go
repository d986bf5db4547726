package imageupdater

import "testing"

func TestUpdateReference(t *testing.T) {
	for _, tc := range []struct {
		u    Update
		want string
	}{
		{Update{Image: "nginx", Tag: "1.27.0"}, "nginx:1.27.0"},
		{Update{Image: "ghcr.io/org/app", Digest: "sha256:abc"}, "ghcr.io/org/app@sha256:abc"},
		{Update{Image: "ghcr.io/org/app", Tag: "latest", Digest: "sha256:abc"}, "ghcr.io/org/app:latest@sha256:abc"},
	} {
		if got := tc.u.Reference(); got != tc.want {
			t.Errorf("%+v.Reference() = %q, want %q", tc.u, got, tc.want)
		}
	}
}
