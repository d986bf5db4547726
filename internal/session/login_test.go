package session

import (
	"errors"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestLogin(t *testing.T) {
	f := newFixture(t, map[string]string{
		"accounts.alice": "login", "accounts.bob": "login", "accounts.bob.enabled": "false",
		"accounts.carol": "apiKey", KeySessionDuration: "1h",
	}, LockoutPolicy{})
	for _, name := range []string{"alice", "bob", "carol"} {
		f.setPassword(t, name, "password-"+name)
	}
	ctx := t.Context()
	for _, tt := range []struct{ name, user, password string }{
		{"wrong password", "alice", "password-bob"},
		{"unknown account", "mallory", "password-alice"},
		{"disabled account", "bob", "password-bob"},
		{"account without login", "carol", "password-carol"},
		{"empty password", "alice", ""},
	} {
		if _, _, err := f.m.Login(ctx, tt.user, tt.password); !errors.Is(err, ErrInvalidCredentials) {
			t.Errorf("%s: Login = %v, want %v", tt.name, err, ErrInvalidCredentials)
		}
	}
	token, id, err := f.m.Login(ctx, "alice", "password-alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := f.clock.Now().Add(time.Hour); !id.ExpiresAt.Equal(want) {
		t.Errorf("session ends at %v, want %v (users.session.duration)", id.ExpiresAt, want)
	}
	if got, err := f.m.Authenticate(ctx, token); err != nil || got.Subject != "alice" {
		t.Fatalf("Authenticate = %+v, %v", got, err)
	}
	f.clock.Add(time.Hour + 2*time.Second)
	if _, err := f.m.Authenticate(ctx, token); err == nil {
		t.Errorf("an expired session was accepted")
	}
}

func TestLoginLockout(t *testing.T) {
	f := newFixture(t, map[string]string{"accounts.alice": "login"}, LockoutPolicy{MaxFailures: 3, Window: time.Minute})
	f.setPassword(t, "alice", "password-alice")
	ctx := t.Context()
	for range 3 {
		if _, _, err := f.m.Login(ctx, "alice", "guess"); !errors.Is(err, ErrInvalidCredentials) {
			t.Fatalf("Login = %v, want %v", err, ErrInvalidCredentials)
		}
	}
	if _, _, err := f.m.Login(ctx, "alice", "password-alice"); !errors.Is(err, ErrLocked) {
		t.Fatalf("the right password while locked: Login = %v, want %v", err, ErrLocked)
	}
	f.clock.Add(time.Minute)
	if _, _, err := f.m.Login(ctx, "alice", "password-alice"); err != nil {
		t.Fatalf("after the window: Login = %v", err)
	}
}

func TestLogout(t *testing.T) {
	f := newFixture(t, nil, LockoutPolicy{})
	token, _, err := f.m.Login(t.Context(), Admin, string(f.secret(t, InitialAdminSecret)["password"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.Logout(t.Context(), token); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Authenticate(t.Context(), token); err == nil {
		t.Errorf("a logged-out session was accepted")
	}
}

// TestDummyHashCost checks that refusing an unknown account costs what
// checking a real password does: the constant hash must be a valid bcrypt
// hash at the cost real passwords are hashed with.
func TestDummyHashCost(t *testing.T) {
	cost, err := bcrypt.Cost(dummyHash)
	if err != nil {
		t.Fatalf("dummyHash is not a bcrypt hash: %v", err)
	}
	if cost != bcrypt.DefaultCost {
		t.Errorf("dummyHash has cost %d, passwords are hashed at %d", cost, bcrypt.DefaultCost)
	}
}
