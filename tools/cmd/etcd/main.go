// Command etcd runs the etcd server from its upstream module, for the local
// control plane that capstan's tests and demo run on.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
