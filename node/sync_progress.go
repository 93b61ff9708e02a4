package node

import (
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
)

// Catch-up progress (SPEC.md §8.6.4; issue 14 item 4). A session stops at
// its bound (sessionLimit) and the next continues; a catch-up is the run
// of sessions with one peer that ends with a session within its bound.
// The node reports it three ways: the session's SyncReport (Cut, Session,
// CatchUpEvents), Stats (SyncCaughtUp, SyncCatchUpSessions,
// SyncCatchUpEvents, SyncCut; metrics.go exports them), and a log line per
// session of a catch-up that needs more than one.

// catchUp is the loop's record of the current (or last) catch-up.
type catchUp struct {
	peer     peer.ID
	active   bool // a session was cut: more to come
	sessions int
	events   int
	started  time.Time
}

// note records a successful session as initiator. Runs on the loop.
func (c *catchUp) note(n *Node, rep *SyncReport) {
	if !c.active || c.peer != rep.Peer {
		*c = catchUp{peer: rep.Peer, started: n.cfg.clock.Now()}
	}
	c.sessions++
	c.events += rep.EventsIn
	c.active = rep.Cut
	rep.Session, rep.CatchUpEvents = c.sessions, c.events
	n.stats.SyncCaughtUp = !rep.Cut
	n.stats.SyncCatchUpSessions, n.stats.SyncCatchUpEvents = c.sessions, c.events
	if rep.Cut {
		n.stats.SyncCut++
		n.log.Info("catching up", "peer", rep.Peer, "session", c.sessions, "events_in", c.events, "caught_up", false)
	} else if c.sessions > 1 {
		n.log.Info("caught up", "peer", rep.Peer, "sessions", c.sessions, "events_in", c.events,
			"took", n.cfg.clock.Now().Sub(c.started).Round(time.Millisecond))
	}
}
