package localkube

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
)

// FreePorts returns n loopback ports that nothing listens on now, each
// below the kernel's ephemeral range. A caller picks ports, closes them,
// and hands them to processes that bind them later: the control plane's
// components, or a server a test starts. A port of the ephemeral range may
// in the meantime go to any bind of port 0, such as a health probe's or
// another test's server, and the process would then fail with "address
// already in use". Below that range only an explicit bind takes a port.
// The ports are drawn at random and never twice in one process.
func FreePorts(n int) ([]int, error) {
	low := ephemeralLow()
	out := make([]int, 0, n)
	for tries := 0; len(out) < n; tries++ {
		if tries == 1000 {
			return nil, fmt.Errorf("no free loopback port below %d after %d tries", low, tries)
		}
		port := minPort + rand.IntN(low-minPort)
		if !handedOut.take(port) {
			continue
		}
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue // in use by someone else
		}
		_ = l.Close()
		out = append(out, port)
	}
	return out, nil
}

// FreeAddresses is FreePorts as loopback addresses ("127.0.0.1:PORT").
func FreeAddresses(n int) ([]string, error) {
	ports, err := FreePorts(n)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(ports))
	for i, p := range ports {
		out[i] = net.JoinHostPort("127.0.0.1", strconv.Itoa(p))
	}
	return out, nil
}

// minPort is the lowest port FreePorts draws: above the well-known
// and most registered ones.
const minPort = 10000

// ephemeralLow is the first port of the kernel's ephemeral range, 32768
// when it cannot be read (Linux's default).
func ephemeralLow() int {
	low := 32768
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if v, err := strconv.Atoi(f[0]); err == nil {
				low = v
			}
		}
	}
	return max(low, minPort+1000)
}

// handedOut are the ports FreePorts returned in this process.
var handedOut = &portSet{taken: map[int]bool{}}

type portSet struct {
	mu    sync.Mutex
	taken map[int]bool
}

// take marks port as handed out; false when it already was.
func (s *portSet) take(port int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.taken[port] {
		return false
	}
	s.taken[port] = true
	return true
}
