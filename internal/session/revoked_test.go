package session

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestRevoke(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	unix := func(d time.Duration) []byte { return []byte(strconv.FormatInt(now.Add(d).Unix(), 10)) }
	full := map[string][]byte{}
	for i := range MaxRevoked {
		full["s"+strconv.Itoa(i)] = unix(time.Hour)
	}
	for _, tt := range []struct {
		name        string
		data        map[string][]byte
		jti         string
		want        map[string][]byte
		wantChanged bool
		wantErr     bool
	}{
		{
			name: "added to an empty Secret", data: map[string][]byte{}, jti: "A",
			want: map[string][]byte{"A": unix(time.Hour)}, wantChanged: true,
		},
		{
			name: "ended sessions and unreadable entries leave", jti: "A",
			data: map[string][]byte{"old": unix(-time.Second), "live": unix(time.Minute), "junk": []byte("soon")},
			want: map[string][]byte{"A": unix(time.Hour), "live": unix(time.Minute)}, wantChanged: true,
		},
		{
			name: "one already there is not written again", jti: "A",
			data: map[string][]byte{"A": unix(time.Hour)},
			want: map[string][]byte{"A": unix(time.Hour)},
		},
		{
			name: "an id that may not be a key is hashed", data: map[string][]byte{}, jti: "a/b",
			want:        map[string][]byte{"sha256-c14cddc033f64b9dea80ea675cf280a015e672516090a5626781153dc68fea11": unix(time.Hour)},
			wantChanged: true,
		},
		{name: "full", data: full, jti: "A", want: full, wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			changed, err := revoke(tt.data, tt.jti, now.Add(time.Hour), now)
			if (err != nil) != tt.wantErr || changed != tt.wantChanged {
				t.Errorf("revoke = %v, %v; want changed %v, error %v", changed, err, tt.wantChanged, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, tt.data); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
		})
	}
}

// A session logged out through one Manager is refused by another, as by
// another replica of the server, and the Secret that says so forgets it
// once it would have ended anyway.
func TestLogoutReachesEveryReplica(t *testing.T) {
	f := newFixture(t, map[string]string{KeySessionDuration: "1h"}, LockoutPolicy{})
	ctx := t.Context()
	password := string(f.secret(t, InitialAdminSecret)["password"])
	other := f.manager(LockoutPolicy{})
	token, _, err := f.m.Login(ctx, Admin, password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, token); err != nil {
		t.Fatalf("the other replica refused a live session: %v", err)
	}
	if err := f.m.Logout(ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := other.Authenticate(ctx, token); err == nil || !strings.Contains(err.Error(), "logged out") {
		t.Errorf("the other replica, after the logout: Authenticate = %v, want the session logged out", err)
	}
	if n := len(f.secret(t, RevokedSecret)); n != 1 {
		t.Errorf("%s holds %d sessions, want 1", RevokedSecret, n)
	}
	// A logout past the first session's end drops it.
	f.clock.Add(time.Hour + 2*time.Second)
	later, _, err := other.Login(ctx, Admin, password)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Logout(ctx, later); err != nil {
		t.Fatal(err)
	}
	if _, err := f.m.Authenticate(ctx, later); err == nil {
		t.Errorf("a session logged out on the other replica was accepted")
	}
	if data := f.secret(t, RevokedSecret); len(data) != 1 {
		t.Errorf("%s holds %d sessions, want only the live one", RevokedSecret, len(data))
	}
}
