package session

import (
	"bytes"
	"testing"
)

func TestBootstrapWritesOnce(t *testing.T) {
	f := newFixture(t, nil, LockoutPolicy{})
	first := f.secret(t, Secret)
	initial := f.secret(t, InitialAdminSecret)["password"]
	if len(first[KeySecretKey]) != secretKeyBytes || len(initial) != initialPasswordLength {
		t.Fatalf("secret key of %d bytes, initial password of %d", len(first[KeySecretKey]), len(initial))
	}
	// A second start, as after a restart, changes nothing.
	if err := f.manager(LockoutPolicy{}).Bootstrap(t.Context()); err != nil {
		t.Fatal(err)
	}
	second := f.secret(t, Secret)
	for _, key := range []string{KeySecretKey, "admin.password", "admin.passwordMtime"} {
		if !bytes.Equal(first[key], second[key]) {
			t.Errorf("%s changed on the second start", key)
		}
	}
	if again := f.secret(t, InitialAdminSecret)["password"]; !bytes.Equal(initial, again) {
		t.Errorf("initial admin password changed on the second start")
	}
	// The initial password logs the admin in.
	token, _, err := f.m.Login(t.Context(), Admin, string(initial))
	if err != nil {
		t.Fatal(err)
	}
	id, err := f.manager(LockoutPolicy{}).Authenticate(t.Context(), token)
	if err != nil || id.Subject != Admin || id.Issuer != Issuer || id.TokenID != "" {
		t.Fatalf("Authenticate = %+v, %v; want the admin's session", id, err)
	}
}
