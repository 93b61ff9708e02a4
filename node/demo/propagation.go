package demo

import (
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The propagation tracker subscribes to every node instance from its start
// and records, per event, when its author applied it (the Change with Local
// set) and when every other instance applied it. An event's propagation
// time is the delay until the last instance that should have it applied
// it: instances that started after the event (a restarted node catching
// up) and instances closed before applying it (a node that went offline)
// are skipped; an instance that ran to the end without applying it makes
// the event incomplete, which is counted and reported, never hidden.

// instance is one run of one node, from Subscribe to Close.
type instance struct {
	name  string
	start time.Time
	end   time.Time // zero while running; set when closed mid-run
	sub   *node.Subscription
	done  chan struct{} // closed when the collector has drained sub
}

type authored struct {
	at   time.Time
	by   *instance
	kind string
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
	in := &instance{name: name, start: time.Now(), sub: n.Subscribe(8192), done: make(chan struct{})}
	t.mu.Lock()
	t.insts = append(t.insts, in)
	t.mu.Unlock()
	go t.collect(in)
	return in
}

// collect records what the instance applies until its subscription ends.
// It holds the lock only to record, never across a channel operation.
func (t *tracker) collect(in *instance) {
	defer close(in.done)
	var ids []crdt.ID
	for ch := range in.sub.C {
		now := time.Now()
		ids = append(ids[:0], ch.Event)
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
		if ch.Local {
			if _, ok := t.authors[ch.Event]; !ok {
				t.authors[ch.Event] = authored{at: now, by: in, kind: ch.Kind}
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
		t.mu.Unlock()
	}
}

// detach ends an instance's subscription (before or after its node
// closes) and waits for its collector. midRun marks a node going offline.
func (t *tracker) detach(in *instance, midRun bool) {
	in.sub.Close()
	<-in.done
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
		in.sub.Close()
		<-in.done
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
	Incomplete int             // events some running instance never applied
	Authored   int
	Slowest    []slowEvent // the five slowest events
	ByKind     map[string]int
	// AuthoredBetween counts the events signed in a time window (what a
	// node offline during it missed).
	AuthoredBetween func(from, to time.Time) int
}

// stats computes the propagation of every event authored since tracking
// began. Call it after detachAll.
func (t *tracker) stats() propagationStats {
	t.mu.Lock()
	defer t.mu.Unlock()
	ps := propagationStats{ByKind: map[string]int{}}
	for id, a := range t.authors {
		ps.Authored++
		ps.ByKind[a.kind]++
		worst, others, incomplete, last := time.Duration(0), 0, false, ""
		for _, in := range t.insts {
			if in == a.by || in.start.After(a.at) {
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
			if isOrderKind(a.kind) {
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

// isOrderKind reports whether a kind name is of the order scope.
func isOrderKind(kind string) bool {
	for _, k := range []crdt.Kind{crdt.KindOrderPlace, crdt.KindCourierClaim, crdt.KindTaskStart} {
		if strings.HasPrefix(kind, strings.SplitN(k.String(), ".", 2)[0]+".") {
			return true
		}
	}
	return false
}

// percentile returns the p-th percentile (nearest rank) of sorted samples,
// in milliseconds; 0 for no samples.
func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = min(max(rank, 1), len(sorted))
	return float64(sorted[rank-1].Microseconds()) / 1000
}
