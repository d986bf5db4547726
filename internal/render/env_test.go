package render

import "testing"

func TestEnvsubst(t *testing.T) {
	env := buildEnv(Request{AppName: "guestbook", Namespace: "demo", Revision: "f913b6cbf58aa5ae5ca1f8a2b149477aebcbd9d8"})
	tests := []struct{ in, want string }{
		{"$ARGOCD_APP_NAME", "guestbook"},
		{"${ARGOCD_APP_NAMESPACE}-x", "demo-x"},
		{"rev-${ARGOCD_APP_REVISION_SHORT}", "rev-f913b6c"},
		{"${ARGOCD_APP_REVISION_SHORT_8}", "f913b6cb"},
		{"$$ARGOCD_APP_NAME", "$ARGOCD_APP_NAME"},
		{"${NOT_SET}", ""},
		{"no variables", "no variables"},
	}
	for _, tt := range tests {
		if got := envsubst(tt.in, env); got != tt.want {
			t.Errorf("envsubst(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
