package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestBenchBadFlags: bench's command-line mistakes are usage errors (exit
// status 2) and start nothing. The bench itself is tested in node/bench.
func TestBenchBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"bench", "-nodes", "3"}, "nodes = 3"},
		{[]string{"bench", "-restaurants", "2"}, "together"},
		{[]string{"bench", "-nodes", "50", "-restaurants", "2", "-couriers", "5", "-customers", "9"}, "exclude each other"},
		{[]string{"bench", "-churn", "1.5"}, "churn"},
		{[]string{"bench", "-orders-per-min", "-5"}, "orders per minute"},
		{[]string{"bench", "-D", "9", "-Dlo", "1", "-Dhi", "4"}, "gossip degrees"},
		{[]string{"bench", "-log-level", "loud"}, "-log-level"},
		{[]string{"bench", "-random-graph", "-drawn-graph"}, "exclude each other"},
		{[]string{"bench", "extra"}, "unexpected argument \"extra\""},
	} {
		var out, errb bytes.Buffer
		code := realMain(tc.args, &out, &errb)
		if code != 2 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want 2 and %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
