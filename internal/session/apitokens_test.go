package session

import (
	"errors"
	"testing"
	"time"
)

func TestAPITokens(t *testing.T) {
	f := newFixture(t, map[string]string{"accounts.ci": "apiKey", "accounts.alice": "login"}, LockoutPolicy{})
	ctx := t.Context()
	token, rec, err := f.m.CreateToken(ctx, "ci", "deploy", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if rec.ID != "deploy" || rec.ExpiresAt-rec.IssuedAt != 3600 {
		t.Errorf("token record %+v", rec)
	}
	if _, _, err := f.m.CreateToken(ctx, "ci", "deploy", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("a second token with the same id: %v, want %v", err, ErrInvalid)
	}
	if _, _, err := f.m.CreateToken(ctx, "alice", "", 0); !errors.Is(err, ErrInvalid) {
		t.Errorf("a token for an account without apiKey: %v, want %v", err, ErrInvalid)
	}
	id, err := f.m.Authenticate(ctx, token)
	if err != nil || id.Subject != "ci" || id.TokenID != "deploy" {
		t.Fatalf("Authenticate = %+v, %v", id, err)
	}
	accounts, err := f.m.Accounts(ctx)
	if err != nil || !accounts["ci"].HasToken("deploy") {
		t.Fatalf("the token is not listed: %+v, %v", accounts["ci"], err)
	}
	if err := f.m.DeleteToken(ctx, "ci", "deploy"); err != nil {
		t.Fatal(err)
	}
	if err := f.m.DeleteToken(ctx, "ci", "deploy"); !errors.Is(err, ErrNoToken) {
		t.Errorf("deleting it again: %v, want %v", err, ErrNoToken)
	}
	for name, m := range map[string]*Manager{"same": f.m, "other": f.manager(LockoutPolicy{})} {
		if _, err := m.Authenticate(ctx, token); !errors.Is(err, ErrNoToken) {
			t.Errorf("%s manager: a deleted token: %v, want %v", name, err, ErrNoToken)
		}
	}
}
