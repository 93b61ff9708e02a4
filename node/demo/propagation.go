package demo

import (
	"slices"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/sim"
)

// The propagation tracker subscribes to every node instance from its start
// and records, per event, when its author applied it (the Change with Local
// set) and when every other instance applied it. An event's propagation
// time is the delay until the last instance that needs it applied it:
// which nodes need an event is audience routing's rule (sim.Needs: an
// order's events reach the couriers and relays that follow every order
// and the order's own customer and restaurant, not every node), the same
// rule the bench measures against. Instances that started after the event
// (a restarted node catching up) and instances closed before applying it
// (a node that went offline) are skipped; an instance that needs the
// event and ran to the end without applying it makes the event incomplete,
// which is counted and reported, never hidden.

// instance is one run of one node, from Subscribe to Close.
type instance struct {
	name  string
	role  node.Role
	key   crdt.PubKey
	start time.Time
	end   time.Time // zero while running; set when closed mid-run
	sub   *node.Subscription
	done  chan struct{} // closed when the collector has drained sub
}

type authored struct {
	at    time.Time
	by    *instance
	kind  string
	scope string  // "coop", "catalog" or "order"
	id    crdt.ID // the order's ID for order events
}

type tracker struct {
	mu      sync.Mutex
	authors map[crdt.ID]authored
	applied map[crdt.ID]map[*instance]time.Time
	insts   []*instance
}

func newTracker() *tracker {
	return &tracker{authors: map[crdt.ID]authored{}, applied: map[crdt.ID]map[*instance]time.Time{}}
}

// attach subscribes to n and starts the instance's collector goroutine.
func (t *tracker) attach(name string, n *node.Node) *instance {
	in := t.add(name, n.Role(), n.Key())
	in.sub = n.Subscribe(8192)
	go t.collect(in)
	return in
}

// add starts tracking an instance, from now.
func (t *tracker) add(name string, role node.Role, key crdt.PubKey) *instance {
	in := &instance{name: name, role: role, key: key, start: time.Now(), done: make(chan struct{})}
	t.mu.Lock()
	t.insts = append(t.insts, in)
	t.mu.Unlock()
	return in
}

// collect records what the instance applies until its subscription ends.
func (t *tracker) collect(in *instance) {
	defer close(in.done)
	for ch := range in.sub.C {
		t.record(in, ch, time.Now())
	}
}

// record notes that in applied ch at now. It holds the lock only to
// record, never across a channel operation.
func (t *tracker) record(in *instance, ch node.Change, now time.Time) {
	ids := []crdt.ID{ch.Event}
	if ch.Order != nil {
		// Events let in from the pending set are announced under the
		// event that released them; the order's steps name them all.
		for _, s := range ch.Order.Steps {
			ids = append(ids, s.Event)
		}
		for _, r := range ch.Order.Rejected {
			ids = append(ids, r.Event)
		}
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ch.Local {
		if _, ok := t.authors[ch.Event]; !ok {
			t.authors[ch.Event] = authored{at: now, by: in, kind: ch.Kind, scope: ch.Scope, id: ch.ID}
		}
	}
	for _, id := range ids {
		m := t.applied[id]
		if m == nil {
			m = map[*instance]time.Time{}
			t.applied[id] = m
		}
		if _, ok := m[in]; !ok {
			m[in] = now
		}
	}
}

// needs reports whether in is meant to hold a; party says whether a key is
// a party of an order (nil: nobody is).
func (a authored) needs(in *instance, party func(order crdt.ID, k crdt.PubKey) bool) bool {
	return sim.Needs(in.role, a.scope, a.scope == "order" && party != nil && party(a.id, in.key))
}

// caughtUp reports how many of the events authored between from and to
// that the returning node needs neither its closed instance old nor its
// new instance applied (0: it holds everything it missed while away).
func (t *tracker) caughtUp(old, cur *instance, from, to time.Time, party func(crdt.ID, crdt.PubKey) bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	missing := 0
	for id, a := range t.authors {
		if a.at.Before(from) || a.at.After(to) || !a.needs(cur, party) {
			continue
		}
		if _, ok := t.applied[id][old]; ok {
			continue
		}
		if _, ok := t.applied[id][cur]; !ok {
			missing++
		}
	}
	return missing
}

// detach ends an instance's subscription (before or after its node
// closes) and waits for its collector. midRun marks a node going offline.
func (t *tracker) detach(in *instance, midRun bool) {
	if in.sub != nil {
		in.sub.Close()
		<-in.done
	}
	if midRun {
		t.mu.Lock()
		in.end = time.Now()
		t.mu.Unlock()
	}
}

// detachAll stops every collector still running.
func (t *tracker) detachAll() {
	t.mu.Lock()
	insts := slices.Clone(t.insts)
	t.mu.Unlock()
	for _, in := range insts {
		if in.sub != nil {
			in.sub.Close()
			<-in.done
		}
	}
}

// slowEvent names one of the slowest events, for the summary.
type slowEvent struct {
	Kind string
	By   string // author
	Last string // the last node to apply it
	Took time.Duration
	At   time.Time
}

// propagationStats is what the tracker measured.
type propagationStats struct {
	Samples    []time.Duration // one per complete event, sorted
	Orders     []time.Duration // the same for order events only, sorted
	Incomplete int             // events some running instance that needs them never applied
	Authored   int
	Slowest    []slowEvent // the five slowest events
	ByKind     map[string]int
	// AuthoredBetween counts the events signed in a time window (what a
	// node offline during it missed).
	AuthoredBetween func(from, to time.Time) int
}

// stats computes the propagation of every event authored since tracking
// began, to the instances that need it; party says who is a party of an
// order. Call it after detachAll.
func (t *tracker) stats(party func(order crdt.ID, k crdt.PubKey) bool) propagationStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := propagationStats{ByKind: map[string]int{}}
	for id, a := range t.authors {
		ps.Authored++
		ps.ByKind[a.kind]++
		worst, others, incomplete, last := time.Duration(0), 0, false, ""
		for _, in := range t.insts {
			if in == a.by || in.start.After(a.at) || !a.needs(in, party) {
				continue
			}
			at, ok := t.applied[id][in]
			switch {
			case ok:
				others++
				if d := at.Sub(a.at); d >= worst {
					worst, last = d, in.name
				}
			case !in.end.IsZero():
				// went offline before it arrived: skipped
			default:
				incomplete = true
			}
		}
		switch {
		case incomplete:
			ps.Incomplete++
		case others > 0:
			ps.Samples = append(ps.Samples, worst)
			if a.scope == "order" {
				ps.Orders = append(ps.Orders, worst)
			}
			ps.Slowest = append(ps.Slowest, slowEvent{Kind: a.kind, By: a.by.name, Last: last, Took: worst, At: a.at})
		}
	}
	slices.Sort(ps.Samples)
	slices.Sort(ps.Orders)
	slices.SortFunc(ps.Slowest, func(a, b slowEvent) int { return int(b.Took - a.Took) })
	ps.Slowest = ps.Slowest[:min(len(ps.Slowest), 5)]
	authors := make([]time.Time, 0, len(t.authors))
	for _, a := range t.authors {
		authors = append(authors, a.at)
	}
	ps.AuthoredBetween = func(from, to time.Time) int {
		k := 0
		for _, at := range authors {
			if at.After(from) && at.Before(to) {
				k++
			}
		}
		return k
	}
	return ps
}
