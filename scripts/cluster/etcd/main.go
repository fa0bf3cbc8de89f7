// etcd's server module has replace lines of its own, so `go install` refuses it; this main
// builds the same binary from inside this module.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
