package clusterauth

import (
	"context"
	"errors"
	"fmt"

	"github.com/golang-jwt/jwt/v5"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// TokenSecret is a Secret of type kubernetes.io/service-account-token:
// deleting it revokes its token.
type TokenSecret struct {
	Namespace      string
	ServiceAccount string
	Name           string
}

func (t TokenSecret) String() string { return t.Namespace + "/" + t.Name }

// secretClaims are the claims Kubernetes signs into the token of a token
// Secret; a token it issues otherwise (bound to a Pod, or for a time)
// lacks them.
type secretClaims struct {
	Namespace      string `json:"kubernetes.io/serviceaccount/namespace"`
	Secret         string `json:"kubernetes.io/serviceaccount/secret.name"`
	ServiceAccount string `json:"kubernetes.io/serviceaccount/service-account.name"`
	jwt.RegisteredClaims
}

// ErrNotSecretToken is returned for a bearer token that no token Secret
// holds: there is no Secret to delete to revoke it.
var ErrNotSecretToken = errors.New("the bearer token is not the token of a ServiceAccount token Secret")

// ParseToken reads which token Secret a bearer token comes from. The
// signature is not checked: the token is capstan's own, read from its
// cluster Secret, and the cluster checks it on every request.
func ParseToken(token string) (TokenSecret, error) {
	var c secretClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &c); err != nil {
		return TokenSecret{}, fmt.Errorf("%w: %w", ErrNotSecretToken, err)
	}
	if c.Namespace == "" || c.Secret == "" || c.ServiceAccount == "" {
		return TokenSecret{}, fmt.Errorf("%w: it names no Secret (a token bound to a Pod or to a time cannot be rotated)", ErrNotSecretToken)
	}
	return TokenSecret{Namespace: c.Namespace, ServiceAccount: c.ServiceAccount, Name: c.Secret}, nil
}

// Issue creates another token Secret for the ServiceAccount of t, and
// returns it with its token once the cluster wrote it. The old Secret
// stays: its token works until Revoke.
func (t TokenSecret) Issue(ctx context.Context, cs kubernetes.Interface) (TokenSecret, string, error) {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: Manager{ServiceAccount: t.ServiceAccount}.secret() + "-",
			Namespace:    t.Namespace,
			Annotations:  map[string]string{corev1.ServiceAccountNameKey: t.ServiceAccount},
		},
		Type: corev1.SecretTypeServiceAccountToken,
	}
	created, err := cs.CoreV1().Secrets(t.Namespace).Create(ctx, s, metav1.CreateOptions{FieldManager: "capstan"})
	if err != nil {
		return TokenSecret{}, "", fmt.Errorf("create a token Secret for ServiceAccount %s/%s: %w", t.Namespace, t.ServiceAccount, err)
	}
	next := TokenSecret{Namespace: t.Namespace, ServiceAccount: t.ServiceAccount, Name: created.Name}
	token, err := waitToken(ctx, cs, next.Namespace, next.Name)
	if err != nil {
		return TokenSecret{}, "", errors.Join(err, next.Revoke(ctx, cs))
	}
	return next, token, nil
}

// Revoke deletes the token Secret, and with it the token; a Secret
// already gone is revoked.
func (t TokenSecret) Revoke(ctx context.Context, cs kubernetes.Interface) error {
	err := cs.CoreV1().Secrets(t.Namespace).Delete(ctx, t.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete token Secret %s: %w", t, err)
	}
	return nil
}
