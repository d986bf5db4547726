package session

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// state is what identity is read from: argocd-cm, argocd-secret and the
// logged-out sessions of RevokedSecret, each empty when missing.
type state struct {
	cm      map[string]string
	secret  map[string][]byte
	revoked map[string][]byte
}

// read reads argocd-cm, argocd-secret and RevokedSecret through r.
func (m *Manager) read(ctx context.Context, r client.Reader) (state, error) {
	var st state
	var cm corev1.ConfigMap
	if err := r.Get(ctx, client.ObjectKey{Namespace: m.opts.Namespace, Name: ConfigMap}, &cm); err != nil && !apierrors.IsNotFound(err) {
		return st, fmt.Errorf("read %s/%s: %w", m.opts.Namespace, ConfigMap, err)
	}
	var sec corev1.Secret
	if err := r.Get(ctx, client.ObjectKey{Namespace: m.opts.Namespace, Name: Secret}, &sec); err != nil && !apierrors.IsNotFound(err) {
		return st, fmt.Errorf("read %s/%s: %w", m.opts.Namespace, Secret, err)
	}
	revoked, err := m.readRevoked(ctx, r)
	if err != nil {
		return st, err
	}
	st.cm, st.secret, st.revoked = cm.Data, sec.Data, revoked
	return st, nil
}

// account is the account name in st.
func (st state) account(name string) (Account, bool, error) {
	accounts, err := ParseAccounts(st.cm, st.secret)
	if err != nil {
		return Account{}, false, err
	}
	a, ok := accounts[name]
	return a, ok, nil
}

// updateSecret changes the data of argocd-secret with change.
func (m *Manager) updateSecret(ctx context.Context, change func(data map[string][]byte) (bool, error)) error {
	return UpdateSecret(ctx, m.opts.Client, m.opts.Reader, m.opts.Namespace, change)
}

// UpdateSecret changes the data of argocd-secret in namespace with
// change, reading it through r and writing it through c, creating the
// Secret when it is missing, and tries again on a conflict with another
// writer. change reports whether it changed anything; when it did not,
// nothing is written.
func UpdateSecret(ctx context.Context, c client.Client, r client.Reader, namespace string, change func(data map[string][]byte) (bool, error)) error {
	return updateNamedSecret(ctx, c, r, client.ObjectKey{Namespace: namespace, Name: Secret}, "argocd", change)
}

// updateNamedSecret is UpdateSecret for the Secret key, labelled part of
// partOf when it is created.
func updateNamedSecret(ctx context.Context, c client.Client, r client.Reader, key client.ObjectKey, partOf string, change func(data map[string][]byte) (bool, error)) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var sec corev1.Secret
		err := r.Get(ctx, key, &sec)
		missing := apierrors.IsNotFound(err)
		if err != nil && !missing {
			return err
		}
		if sec.Data == nil {
			sec.Data = map[string][]byte{}
		}
		changed, err := change(sec.Data)
		if err != nil || !changed {
			return err
		}
		if missing {
			sec.ObjectMeta = metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name,
				Labels: map[string]string{"app.kubernetes.io/part-of": partOf}}
			err := c.Create(ctx, &sec)
			if apierrors.IsAlreadyExists(err) {
				// Someone else created it meanwhile: read it again.
				return apierrors.NewConflict(corev1.Resource("secrets"), key.Name, err)
			}
			return err
		}
		return c.Update(ctx, &sec)
	})
	if err != nil {
		return fmt.Errorf("update %s: %w", key, err)
	}
	return nil
}
