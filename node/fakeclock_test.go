package node

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

// fakeClock is a hand-written Clock for tests: time stands still until the
// test calls advance, which fires every timer that falls due, in order.
// Timers and tickers deliver on buffered channels without blocking, like
// the time package's; AfterFunc runs its function on a new goroutine.
type fakeClock struct {
	mu      sync.Mutex
	now     time.Time
	timers  []*fakeTimer
	changed chan struct{} // closed and replaced whenever a timer is added
}

type fakeTimer struct {
	clk    *fakeClock
	when   time.Time
	period time.Duration // tickers
	d      time.Duration // the duration asked for (tests read it)
	c      chan time.Time
	f      func()
	active bool
}

func newFakeClock() *fakeClock {
	// Near the wall clock: events are checked for clock skew against Now.
	return &fakeClock{now: time.Now(), changed: make(chan struct{})}
}

func (f *fakeClock) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeClock) add(t *fakeTimer) *fakeTimer {
	f.mu.Lock()
	defer f.mu.Unlock()
	t.clk, t.when, t.active = f, f.now.Add(t.d), true
	f.timers = append(f.timers, t)
	close(f.changed)
	f.changed = make(chan struct{})
	return t
}

func (f *fakeClock) NewTimer(d time.Duration) Timer {
	return f.add(&fakeTimer{d: d, c: make(chan time.Time, 1)})
}

func (f *fakeClock) NewTicker(d time.Duration) Ticker {
	if d <= 0 {
		panic("fakeClock: non-positive ticker period")
	}
	return fakeTicker{f.add(&fakeTimer{d: d, period: d, c: make(chan time.Time, 1)})}
}

type fakeTicker struct{ t *fakeTimer }

func (t fakeTicker) C() <-chan time.Time { return t.t.c }
func (t fakeTicker) Stop()               { t.t.Stop() }

func (f *fakeClock) AfterFunc(d time.Duration, fn func()) Timer {
	return f.add(&fakeTimer{d: d, f: fn})
}

func (t *fakeTimer) C() <-chan time.Time { return t.c }

func (t *fakeTimer) Stop() bool {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	was := t.active
	t.clk.remove(t)
	return was
}

func (t *fakeTimer) Reset(d time.Duration) bool {
	was := t.Stop()
	t.d = d
	t.clk.add(t)
	return was
}

// remove drops t from the pending timers; f.mu is held.
func (f *fakeClock) remove(t *fakeTimer) {
	t.active = false
	for i, o := range f.timers {
		if o == t {
			f.timers = append(f.timers[:i], f.timers[i+1:]...)
			return
		}
	}
}

// advance moves time forward by d, firing every timer due by then in the
// order they fall due (a ticker as many times as its period fits).
func (f *fakeClock) advance(d time.Duration) {
	f.mu.Lock()
	target := f.now.Add(d)
	for {
		sort.SliceStable(f.timers, func(i, j int) bool { return f.timers[i].when.Before(f.timers[j].when) })
		if len(f.timers) == 0 || f.timers[0].when.After(target) {
			break
		}
		t := f.timers[0]
		f.now = t.when
		if t.period > 0 {
			t.when = t.when.Add(t.period)
		} else {
			f.remove(t)
		}
		switch {
		case t.f != nil:
			go t.f()
		default:
			select {
			case t.c <- f.now:
			default: // a slow reader loses the tick, as with time.Ticker
			}
		}
	}
	f.now = target
	f.mu.Unlock()
}

// pending returns the durations of the timers waiting to fire.
func (f *fakeClock) pending() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]time.Duration, 0, len(f.timers))
	for _, t := range f.timers {
		out = append(out, t.d)
	}
	return out
}

// waitTimer waits (in real time, up to timeout) until a timer asking for
// duration d is pending, and fails the test otherwise.
func (f *fakeClock) waitTimer(t testing.TB, d time.Duration, timeout time.Duration) {
	t.Helper()
	f.waitFor(t, fmt.Sprintf("timer of %v on the fake clock", d), timeout, func() (time.Duration, bool) {
		for _, tm := range f.timers {
			if tm.d == d {
				return d, true
			}
		}
		return 0, false
	})
}

// waitNewTimer waits until more than seen timers are pending and returns
// the duration of the newest.
func (f *fakeClock) waitNewTimer(t testing.TB, seen int, timeout time.Duration) time.Duration {
	t.Helper()
	return f.waitFor(t, "new timer on the fake clock", timeout, func() (time.Duration, bool) {
		if len(f.timers) > seen {
			return f.timers[len(f.timers)-1].d, true
		}
		return 0, false
	})
}

// waitFor waits (in real time, up to timeout) until found, called with
// f.mu held, reports a pending timer, and returns that timer's duration;
// otherwise it fails the test naming what it waited for.
func (f *fakeClock) waitFor(t testing.TB, what string, timeout time.Duration, found func() (time.Duration, bool)) time.Duration {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		f.mu.Lock()
		changed := f.changed
		d, ok := found()
		f.mu.Unlock()
		if ok {
			return d
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no %s within %v (pending: %v)", what, timeout, f.pending())
		}
	}
}

func TestFakeClock(t *testing.T) {
	f := newFakeClock()
	start := f.Now()
	tm := f.NewTimer(time.Second)
	tk := f.NewTicker(300 * time.Millisecond)
	fired := make(chan struct{})
	f.AfterFunc(500*time.Millisecond, func() { close(fired) })
	f.advance(299 * time.Millisecond)
	select {
	case <-tk.C():
		t.Fatal("ticker fired early")
	default:
	}
	f.advance(time.Millisecond)
	if got := <-tk.C(); !got.Equal(start.Add(300 * time.Millisecond)) {
		t.Fatalf("tick at %v", got.Sub(start))
	}
	f.advance(200 * time.Millisecond)
	<-fired
	if tm.Stop() != true || tm.Stop() != false {
		t.Fatal("Stop of a pending timer")
	}
	f.advance(time.Second)
	select {
	case <-tm.C():
		t.Fatal("stopped timer fired")
	default:
	}
	tk.Stop()
	if p := f.pending(); len(p) != 0 {
		t.Fatalf("pending after stop: %v", p)
	}
	if got := f.Now().Sub(start); got != 1500*time.Millisecond {
		t.Fatalf("now advanced %v", got)
	}
}
