// Package bad breaks every rule deptest checks, for deptest's own test.
package bad

import (
	"log"
	"math/rand"
	"net"
	"os"
	clock "time"
)

// Everything does everything a pure package must not.
func Everything() {
	go func() {}()
	_ = clock.Now()
	_ = rand.Int()
	_, _ = net.Dial("tcp", "localhost:1")
	log.Print(os.Args)
}
