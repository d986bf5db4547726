package ui_test

import (
	"context"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// addUser makes a local account name that may log in, with password, and
// gives it the RBAC policy lines of argocd-rbac-cm (for instance
// "g, NAME, role:readonly"; NAME is replaced by the account's name). The
// running capstan picks the change up from its watch of the settings.
func addUser(t *testing.T, name, password string, policy ...string) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	editSettings(t, "argocd-cm", func(d map[string]string) { d["accounts."+name] = "login" })
	editSettings(t, "argocd-rbac-cm", func(d map[string]string) {
		lines := d["policy.csv"]
		for _, p := range policy {
			lines += strings.ReplaceAll(p, "NAME", name) + "\n"
		}
		d["policy.csv"] = lines
	})
	editSecret(t, func(d map[string][]byte) { d["accounts."+name+".password"] = hash })
}

// editSecret changes the data of argocd-secret, which capstan creates
// when it starts.
func editSecret(t *testing.T, edit func(map[string][]byte)) {
	t.Helper()
	cl := kube(t)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var s corev1.Secret
		if err := cl.Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: "argocd-secret"}, &s); err != nil {
			return err
		}
		if s.Data == nil {
			s.Data = map[string][]byte{}
		}
		edit(s.Data)
		return cl.Update(context.Background(), &s)
	})
	if err != nil {
		t.Fatalf("edit argocd-secret: %v", err)
	}
}

// editSettings changes the data of one of capstan's settings ConfigMaps,
// creating it when missing.
func editSettings(t *testing.T, name string, edit func(map[string]string)) {
	t.Helper()
	cl := kube(t)
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var cm corev1.ConfigMap
		err := cl.Get(context.Background(), client.ObjectKey{Namespace: controlPlane, Name: name}, &cm)
		if apierrors.IsNotFound(err) {
			cm = corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: controlPlane, Name: name,
				Labels: map[string]string{"app.kubernetes.io/part-of": "argocd"}}}
			cm.Data = map[string]string{}
			edit(cm.Data)
			return cl.Create(context.Background(), &cm)
		} else if err != nil {
			return err
		}
		if cm.Data == nil {
			cm.Data = map[string]string{}
		}
		edit(cm.Data)
		return cl.Update(context.Background(), &cm)
	})
	if err != nil {
		t.Fatalf("edit %s: %v", name, err)
	}
}
