package node

import (
	"testing"

	"github.com/coopnode/coopnode/internal/leaktest"
)

// leakIgnore lists stack substrings of goroutines that live for the whole
// process once started (library singletons), which no Close can stop.
var leakIgnore = []string{}

// leakCheck is leaktest.Check for this package's tests: register it with
// t.Cleanup before anything else.
func leakCheck(t testing.TB) func() { return leaktest.Check(t, leakIgnore...) }
