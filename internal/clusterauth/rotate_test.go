package clusterauth

import (
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func TestParseToken(t *testing.T) {
	sign := func(claims jwt.MapClaims) string {
		s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte("test key"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	tests := []struct {
		name    string
		input   string
		want    TokenSecret
		wantErr bool
	}{
		{
			name: "token Secret",
			input: sign(jwt.MapClaims{
				"iss":                                    "kubernetes/serviceaccount",
				"sub":                                    "system:serviceaccount:kube-system:argocd-manager",
				"kubernetes.io/serviceaccount/namespace": "kube-system",
				"kubernetes.io/serviceaccount/secret.name":          "argocd-manager-long-lived-token",
				"kubernetes.io/serviceaccount/service-account.name": "argocd-manager",
			}),
			want: TokenSecret{Namespace: "kube-system", ServiceAccount: "argocd-manager", Name: "argocd-manager-long-lived-token"},
		},
		{
			name: "bound token",
			input: sign(jwt.MapClaims{
				"sub":           "system:serviceaccount:kube-system:argocd-manager",
				"kubernetes.io": map[string]any{"namespace": "kube-system", "serviceaccount": map[string]any{"name": "argocd-manager"}},
			}),
			wantErr: true,
		},
		{name: "not a JWT", input: "static-token", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseToken(tt.input)
			if tt.wantErr {
				if !errors.Is(err, ErrNotSecretToken) {
					t.Fatalf("error %v, want ErrNotSecretToken", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzParseToken: any bearer token is either refused as no token
// Secret's, or names a whole Secret.
func FuzzParseToken(f *testing.F) {
	f.Add("static-token")
	f.Add("a.b.c")
	f.Add("eyJhbGciOiJub25lIn0.eyJrdWJlcm5ldGVzLmlvL3NlcnZpY2VhY2NvdW50L25hbWVzcGFjZSI6Imt1YmUtc3lzdGVtIn0.")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := ParseToken(token)
		if err != nil {
			if !errors.Is(err, ErrNotSecretToken) {
				t.Fatalf("error %v is not ErrNotSecretToken", err)
			}
			return
		}
		if got.Namespace == "" || got.ServiceAccount == "" || got.Name == "" {
			t.Fatalf("%q parsed to an incomplete %+v", token, got)
		}
	})
}
