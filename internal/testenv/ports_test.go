package testenv

import (
	"net"
	"strconv"
	"testing"
)

func TestFreeAddressesAreDistinctAndBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	seen := map[string]bool{}
	for range 3 {
		addrs, err := FreeAddresses(20)
		if err != nil {
			t.Fatal(err)
		}
		if len(addrs) != 20 {
			t.Fatalf("%d addresses, want 20", len(addrs))
		}
		for _, a := range addrs {
			host, p, err := net.SplitHostPort(a)
			if err != nil {
				t.Fatal(err)
			}
			port, _ := strconv.Atoi(p)
			if host != "127.0.0.1" || port < minPort || port >= low {
				t.Errorf("%s: want 127.0.0.1 and a port in [%d, %d)", a, minPort, low)
			}
			if seen[a] {
				t.Errorf("%s handed out twice", a)
			}
			seen[a] = true
			l, err := net.Listen("tcp", a)
			if err != nil {
				t.Errorf("%s is not free: %v", a, err)
				continue
			}
			l.Close()
		}
	}
}
