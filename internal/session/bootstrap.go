package session

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// secretKeyBytes is the length of a generated server.secretkey.
const secretKeyBytes = 32

// initialPasswordLength is the length of a generated admin password.
const initialPasswordLength = 16

// Bootstrap writes what a first start needs, as Argo CD does, and leaves
// alone what is already there: server.secretkey in argocd-secret when it
// is absent, and when admin.password is unset, a random admin password,
// hashed into argocd-secret and in clear into argocd-initial-admin-secret
// (key "password") for the operator to read. Of several replicas starting
// at once, one writes; the others find its values.
func (m *Manager) Bootstrap(ctx context.Context) error {
	log := logr.FromContextOrDiscard(ctx)
	var password string
	err := m.updateSecret(ctx, func(data map[string][]byte) (bool, error) {
		password = ""
		changed := false
		if len(data[KeySecretKey]) == 0 {
			key := make([]byte, secretKeyBytes)
			_, _ = rand.Read(key)
			data[KeySecretKey] = key
			changed = true
		}
		if len(data[secretKey(Admin, "password")]) == 0 {
			password = rand.Text()[:initialPasswordLength]
			hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
			if err != nil {
				return false, err
			}
			data[secretKey(Admin, "password")] = hash
			data[secretKey(Admin, "passwordMtime")] = []byte(m.now().UTC().Format(timeFormat))
			changed = true
		}
		return changed, nil
	})
	if err != nil {
		return err
	}
	if password == "" {
		return nil
	}
	if err := m.writeInitialPassword(ctx, password); err != nil {
		return err
	}
	log.Info("initial admin password generated", "secret", m.opts.Namespace+"/"+InitialAdminSecret)
	return nil
}

// writeInitialPassword keeps password in argocd-initial-admin-secret.
func (m *Manager) writeInitialPassword(ctx context.Context, password string) error {
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: m.opts.Namespace, Name: InitialAdminSecret,
			Labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}},
		Data: map[string][]byte{"password": []byte(password)},
	}
	err := m.opts.Client.Create(ctx, sec)
	if apierrors.IsAlreadyExists(err) {
		var old corev1.Secret
		if err = m.opts.Reader.Get(ctx, client.ObjectKeyFromObject(sec), &old); err == nil {
			old.Data = sec.Data
			err = m.opts.Client.Update(ctx, &old)
		}
	}
	if err != nil {
		return fmt.Errorf("write %s/%s: %w", m.opts.Namespace, InitialAdminSecret, err)
	}
	return nil
}

// signingKey is server.secretkey of st.
func (st state) signingKey() ([]byte, error) {
	key := st.secret[KeySecretKey]
	if len(key) == 0 {
		return nil, fmt.Errorf("%s: %w", Secret, errNoKey)
	}
	return key, nil
}

// errNoKey is an argocd-secret without server.secretkey.
var errNoKey = errors.New("no " + KeySecretKey + " yet")
