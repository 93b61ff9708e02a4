// Package leaktest checks that tests leave no goroutine behind: every
// goroutine has an owner and stops on Close (the developers' guide), and
// the tests of node, mobile, demo and bench hold every package to it with
// this one check.
package leaktest

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Deadline is how long Check's function waits for goroutines to stop.
var Deadline = 10 * time.Second

// Goroutines returns the stacks of all goroutines, keyed by goroutine ID.
func Goroutines() map[int]string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	out := map[int]string{}
	for _, g := range bytes.Split(buf, []byte("\n\n")) {
		rest, ok := strings.CutPrefix(string(g), "goroutine ")
		if !ok {
			continue
		}
		idStr, _, _ := strings.Cut(rest, " ")
		if id, err := strconv.Atoi(idStr); err == nil {
			out[id] = string(g)
		}
	}
	return out
}

// Check snapshots the running goroutines and returns a function that fails
// t if goroutines started since are still running after Deadline,
// polling meanwhile. Register it with t.Cleanup before anything else, so it
// runs after every other cleanup. Stacks containing one of ignore (and no
// coopnode frame) are library singletons that no Close can stop.
func Check(t testing.TB, ignore ...string) func() {
	t.Helper()
	before := Goroutines()
	return func() {
		t.Helper()
		start := time.Now()
		deadline := start.Add(Deadline)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			var leaked []string
			for id, st := range Goroutines() {
				if _, ok := before[id]; ok || ignored(st, ignore) {
					continue
				}
				leaked = append(leaked, st)
			}
			if len(leaked) == 0 {
				if waited := time.Since(start); waited > time.Second {
					t.Logf("goroutines took %v to stop", waited)
				}
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("%d goroutines still running:\n\n%s", len(leaked), strings.Join(leaked[:min(len(leaked), 20)], "\n\n"))
				return
			}
			<-tick.C
		}
	}
}

func ignored(stack string, ignore []string) bool {
	for _, s := range ignore {
		if strings.Contains(stack, s) && !strings.Contains(stack, "coopnode/") {
			return true
		}
	}
	return false
}
