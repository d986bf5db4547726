package cli

import (
	"strings"
	"testing"
)

// FuzzKeyValues: a --label or --annotation value is refused with a
// message naming the flag, or read into pairs that say the same.
func FuzzKeyValues(f *testing.F) {
	for _, seed := range []string{"env=prod", "capstan.dev/tier=", "a=b=c", "=x", "", "a b=c", "k=v\nw"} {
		f.Add(seed, true)
		f.Add(seed, false)
	}
	f.Fuzz(func(t *testing.T, pair string, label bool) {
		flag := "annotation"
		if label {
			flag = "label"
		}
		got, err := keyValues(flag, []string{pair})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "--"+flag+" ") {
				t.Fatalf("error %q does not name --%s", err, flag)
			}
			return
		}
		if pair == "" {
			if got != nil {
				t.Fatalf("an empty value gave %v", got)
			}
			return
		}
		k, v, _ := strings.Cut(pair, "=")
		if len(got) != 1 || got[k] != v {
			t.Fatalf("%q read as %v", pair, got)
		}
	})
}
