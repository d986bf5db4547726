package session

import (
	"errors"
	"testing"
)

func TestPasswordChangeRevokesSessions(t *testing.T) {
	f := newFixture(t, map[string]string{"accounts.alice": "login,apiKey"}, LockoutPolicy{})
	f.setPassword(t, "alice", "password-one")
	ctx := t.Context()
	old, _, err := f.m.Login(ctx, "alice", "password-one")
	if err != nil {
		t.Fatal(err)
	}
	oldKey, _, err := f.m.CreateToken(ctx, "alice", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.UpdatePassword(ctx, "alice", "wrong", "alice", "password-two"); !errors.Is(err, ErrInvalidCredentials) {
		t.Fatalf("with a wrong current password: UpdatePassword = %v", err)
	}
	if err := f.m.UpdatePassword(ctx, "alice", "password-one", "alice", "short"); !errors.Is(err, ErrInvalid) {
		t.Fatalf("with a password outside passwordPattern: UpdatePassword = %v", err)
	}
	if err := f.m.UpdatePassword(ctx, "alice", "password-one", "alice", "password-two"); err != nil {
		t.Fatal(err)
	}
	fresh, _, err := f.m.Login(ctx, "alice", "password-two")
	if err != nil {
		t.Fatalf("login with the new password: %v", err)
	}
	if _, _, err := f.m.Login(ctx, "alice", "password-one"); !errors.Is(err, ErrInvalidCredentials) {
		t.Errorf("the old password still logs in: %v", err)
	}
	// Both this process and another one that knows only the cluster.
	for name, m := range map[string]*Manager{"same": f.m, "other": f.manager(LockoutPolicy{})} {
		for _, tok := range []string{old, oldKey} {
			if _, err := m.Authenticate(ctx, tok); err == nil {
				t.Errorf("%s manager: a token issued before the password change was accepted", name)
			}
		}
		if _, err := m.Authenticate(ctx, fresh); err != nil {
			t.Errorf("%s manager: the session after the change was refused: %v", name, err)
		}
	}
}
