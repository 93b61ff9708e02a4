package node

import "time"

// Clock is the node's one source of time. Now stamps events, checks clock
// skew and refills rate limits; the timers drive every delay the node
// waits for by itself: discovery's redial backoff, periodic anti-entropy,
// gap repair, score reviews and idle push streams. Tests inject a fake
// clock they advance by hand (WithClock), so none of them sleeps.
//
// What the clock does not drive: deadlines on network streams (the
// operating system enforces them against the wall clock), the timers
// inside libp2p and gossipsub (heartbeats, dial backoff), which take no
// clock, and WaitMesh's polling of the router (a caller's wait, bounded by
// its context, not a delay of the node's own).
type Clock interface {
	Now() time.Time
	// NewTimer fires once on C after d.
	NewTimer(d time.Duration) Timer
	// NewTicker fires on C every d (d > 0), dropping ticks for a slow
	// reader like time.Ticker.
	NewTicker(d time.Duration) Ticker
	// AfterFunc calls f on its own goroutine after d. The returned timer's
	// C is nil.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a Clock's one-shot timer (see time.Timer).
type Timer interface {
	C() <-chan time.Time
	Stop() bool
	Reset(d time.Duration) bool
}

// Ticker is a Clock's periodic timer (see time.Ticker).
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// systemClock is the wall clock, the default.
type systemClock struct{}

func (systemClock) Now() time.Time                   { return time.Now() }
func (systemClock) NewTimer(d time.Duration) Timer   { return sysTimer{time.NewTimer(d)} }
func (systemClock) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }
func (systemClock) AfterFunc(d time.Duration, f func()) Timer {
	return sysTimer{time.AfterFunc(d, f)}
}

type sysTimer struct{ t *time.Timer }

func (t sysTimer) C() <-chan time.Time        { return t.t.C }
func (t sysTimer) Stop() bool                 { return t.t.Stop() }
func (t sysTimer) Reset(d time.Duration) bool { return t.t.Reset(d) }

type sysTicker struct{ t *time.Ticker }

func (t sysTicker) C() <-chan time.Time { return t.t.C }
func (t sysTicker) Stop()               { t.t.Stop() }
