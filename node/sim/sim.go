// Package sim is what the two simulations of a cooperative on real nodes —
// the benchmark (node/bench) and the demo (node/demo) — share, so that
// both wait on the network, set a coop up and count latencies the same way:
//
//   - waiting: Poll checks a condition with a deadline (never a sleep);
//     Pause is a simulated person's time (cooking, riding), not a wait on
//     the network; Parallel starts one goroutine per participant.
//   - the coop: WaitMembers and WaitCatalogue wait until every node holds
//     the membership and the catalogue; Needs says which nodes are meant to
//     hold an event (audience routing, SPEC.md §10.1 and §10.4), the rule
//     both simulations measure propagation against.
//   - figures: PercentileMs over sorted latency samples.
package sim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// ErrTimedOut is what Poll returns, wrapped, when its deadline passes.
var ErrTimedOut = errors.New("timed out")

// Poll waits until cond holds, checking it at once and then every every,
// for at most d. When ctx ends first it returns ctx's cause; when d passes,
// an error wrapping ErrTimedOut that names what was awaited.
func Poll(ctx context.Context, d, every time.Duration, what string, cond func() bool) error {
	if cond() {
		return nil
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-wctx.Done():
			if c := context.Cause(ctx); c != nil {
				return c
			}
			return fmt.Errorf("%w after %v waiting for %s", ErrTimedOut, d, what)
		}
		if cond() {
			return nil
		}
	}
}

// Pause waits d, or until ctx ends (then it returns ctx's cause). It paces
// simulated people and schedules; it is never a wait for the network.
func Pause(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return context.Cause(ctx)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// Parallel runs fn(0) … fn(n-1) each on its own goroutine, waits for all,
// and returns their errors joined.
func Parallel(n int, fn func(i int) error) error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = fn(i)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}
