package testenv

import "github.com/capstan-cd/capstan/internal/localkube"

// FreeAddresses returns n loopback addresses ("127.0.0.1:PORT") for
// servers a test starts, on ports nothing listens on now and that no bind
// of port 0 can take meanwhile (see localkube.FreePorts).
func FreeAddresses(n int) ([]string, error) { return localkube.FreeAddresses(n) }
