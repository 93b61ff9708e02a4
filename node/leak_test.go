package node

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// leakIgnore lists stack substrings of goroutines that live for the whole
// process once started (library singletons), which no Close can stop.
var leakIgnore = []string{}

// goroutines returns the stacks of all goroutines, keyed by goroutine ID.
func goroutines() map[int]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := make(map[int]string)
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		s := string(g)
		rest, ok := strings.CutPrefix(s, "goroutine ")
		if !ok {
			continue
		}
		idStr, _, _ := strings.Cut(rest, " ")
		id, err := strconv.Atoi(idStr)
		if err != nil {
			continue
		}
		out[id] = s
	}
	return out
}

func ignoredGoroutine(stack string) bool {
	for _, s := range leakIgnore {
		if strings.Contains(stack, s) && !strings.Contains(stack, "coopnode/node.") {
			return true
		}
	}
	return false
}

// leakCheck snapshots the running goroutines and returns a function that
// fails t if goroutines started since the snapshot are still running
// after a deadline. Register it with t.Cleanup before anything else, so it
// runs after every other cleanup (which close hosts, gossip, discovery).
func leakCheck(t testing.TB) func() {
	t.Helper()
	before := goroutines()
	return func() {
		t.Helper()
		start := time.Now()
		deadline := start.Add(10 * time.Second)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var leaked []string
			for id, st := range goroutines() {
				if _, ok := before[id]; ok || ignoredGoroutine(st) {
					continue
				}
				leaked = append(leaked, st)
			}
			if len(leaked) == 0 {
				if waited := time.Since(start); waited > time.Second {
					t.Logf("goroutines took %v to stop after close", waited)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines still running after close:\n\n%s", len(leaked), strings.Join(leaked, "\n\n"))
				return
			}
			<-tick.C
		}
	}
}
