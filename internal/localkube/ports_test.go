package localkube

import (
	"net"
	"strconv"
	"testing"
)

func TestFreePortsAreDistinctAndBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	seen := map[int]bool{}
	for range 3 {
		ports, err := FreePorts(20)
		if err != nil {
			t.Fatal(err)
		}
		if len(ports) != 20 {
			t.Fatalf("%d ports, want 20", len(ports))
		}
		for _, port := range ports {
			if port < minPort || port >= low {
				t.Errorf("port %d: want one in [%d, %d)", port, minPort, low)
			}
			if seen[port] {
				t.Errorf("port %d handed out twice", port)
			}
			seen[port] = true
			a := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
			l, err := net.Listen("tcp", a)
			if err != nil {
				t.Errorf("%s is not free: %v", a, err)
				continue
			}
			l.Close()
		}
	}
}
