package bench

import (
	"cmp"
	"slices"
	"time"

	"github.com/coopnode/coopnode/node/sim"
)

// interval is a time a node spent offline; to is zero if it never came
// back before the end.
type interval struct{ from, to time.Time }

// record is one measured event (coopnode) or message (baseline).
type record struct {
	pub    time.Time
	author int
	size   int    // wire bytes of the event (the payload, for the baseline)
	kind   string // event kind ("" for the baseline)
	msgID  string // pubsub message ID
	doc    string // catalogue document key: a later version supersedes this one
	needs  []int  // nodes that need it, the author excluded
	arr    []time.Time
}

// observation is everything a run saw, ready for analyze.
type observation struct {
	n       int
	recs    []record
	offline [][]interval // per node
	end     time.Time    // end of the measurement window
	tracers []*byteTracer
	// label names a node's group for the missing-delivery breakdown
	// (nil: by message kind only)
	label func(n int) string
}

// offlineDuring reports whether node n was offline at some moment of
// [a, b].
func (o *observation) offlineDuring(n int, a, b time.Time) bool {
	for _, iv := range o.offline[n] {
		to := iv.to
		if to.IsZero() {
			to = o.end.Add(time.Hour)
		}
		if !iv.from.After(b) && !to.Before(a) {
			return true
		}
	}
	return false
}

// onlineSomewhere reports whether node n was online at some moment of
// [a, b].
func (o *observation) onlineSomewhere(n int, a, b time.Time) bool {
	for _, iv := range o.offline[n] {
		to := iv.to
		if to.IsZero() {
			to = o.end.Add(time.Hour)
		}
		if !iv.from.After(a) && !to.Before(b) {
			return false // one outage covers the whole span
		}
	}
	return true
}

// deliveredFn returns a function that reports whether node n holds record
// i, or a newer version of the same catalogue document.
func (o *observation) deliveredFn() func(i, n int) bool {
	docs := map[string][]int{}
	for i, r := range o.recs {
		if r.doc != "" {
			docs[r.doc] = append(docs[r.doc], i)
		}
	}
	return func(i, n int) bool {
		r := &o.recs[i]
		if !r.arr[n].IsZero() {
			return true
		}
		for _, j := range docs[r.doc] {
			if o.recs[j].pub.After(r.pub) && !o.recs[j].arr[n].IsZero() {
				return true
			}
		}
		return false
	}
}

// missing counts needed deliveries that have not happened (yet).
func (o *observation) missing() int {
	delivered := o.deliveredFn()
	k := 0
	for i, r := range o.recs {
		for _, n := range r.needs {
			if !delivered(i, n) {
				k++
			}
		}
	}
	return k
}

// tracerSnap is one node's byte counters at the end of a run.
type tracerSnap struct {
	total, overhead int64
	parts           Breakdown
	msgs            map[string]msgBytes
	drops           map[string]int
}

// analysis is what analyze derives; Metrics is its JSON face.
type analysis struct {
	m            Metrics
	samples      []time.Duration // per-event propagation, sorted
	bytesPerNode []int64         // pubsub bytes received, per node
	neededBytes  []int64         // per node: one copy of each event it needs
	missing      map[string]int  // missing deliveries by kind
	repair       []time.Duration // per churn episode: reconnect to last missed event
	repairMissed int             // churn episodes with a missed event never repaired
	bySync       map[string]int  // deliveries by sync, by the kind of node
}

// analyze computes the latency, delivery and byte figures of a run.
func analyze(o *observation) analysis {
	var a analysis
	a.missing = map[string]int{}
	delivered := o.deliveredFn()
	snaps := make([]tracerSnap, o.n)
	for n, t := range o.tracers {
		if t != nil {
			snaps[n].total, snaps[n].overhead, snaps[n].parts, snaps[n].msgs = t.snapshot()
			snaps[n].drops = t.dropCounts()
		}
	}
	// gossiped reports whether node n received a full gossip copy of
	// record i (if not, its copy came by a sync session)
	gossiped := func(i, n int) bool {
		mb := snaps[n].msgs[o.recs[i].msgID]
		return mb.copies > 0 && !mb.first.After(o.recs[i].arr[n])
	}
	label := func(n int) string {
		if o.label == nil {
			return "node"
		}
		return o.label(n)
	}
	var slow []Slow
	needed, got := 0, 0
	sumSize := 0
	for i := range o.recs {
		r := &o.recs[i]
		sumSize += r.size
		worst, used, incomplete, last := time.Duration(-1), 0, false, -1
		for _, n := range r.needs {
			needed++
			if delivered(i, n) {
				got++
				if !r.arr[n].IsZero() && !gossiped(i, n) {
					a.m.DeliveriesBySync++
					if a.bySync == nil {
						a.bySync = map[string]int{}
					}
					a.bySync[label(n)]++
				}
			} else {
				key := kindOr(r.kind)
				if o.label != nil {
					key += " by " + o.label(r.author) + " → " + o.label(n)
				}
				a.missing[key]++
			}
			end := r.arr[n]
			if end.IsZero() {
				end = o.end
			}
			if o.offlineDuring(n, r.pub, end) {
				continue // its copy came (or comes) by the repair path
			}
			if r.arr[n].IsZero() {
				if !delivered(i, n) {
					incomplete = true
				}
				continue
			}
			used++
			if d := r.arr[n].Sub(r.pub); d > worst {
				worst, last = d, n
			}
		}
		switch {
		case incomplete:
			a.m.PropagationIncomplete++
		case used > 0:
			a.samples = append(a.samples, worst)
			sl := Slow{Kind: kindOr(r.kind), Author: label(r.author), Last: label(last), Ms: sim.Ms(worst), Via: "sync"}
			if gossiped(i, last) {
				sl.Via, sl.GossipMs = "gossip", sim.Ms(snaps[last].msgs[r.msgID].first.Sub(r.pub))
			}
			slow = append(slow, sl)
		}
	}
	slices.SortFunc(slow, func(a, b Slow) int { return cmp.Compare(b.Ms, a.Ms) })
	a.m.Slowest = slow[:min(5, len(slow))]
	slices.Sort(a.samples)
	a.m.Events = len(o.recs)
	a.m.PropagationSamples = len(a.samples)
	a.m.PropagationP50Ms = sim.PercentileMs(a.samples, 50)
	a.m.PropagationP99Ms = sim.PercentileMs(a.samples, 99)
	a.m.PropagationMaxMs = sim.PercentileMs(a.samples, 100)
	a.m.DeliveriesNeeded, a.m.DeliveriesMissing = needed, needed-got
	if needed > 0 {
		a.m.DeliveryRatio = float64(got) / float64(needed)
	}
	if len(o.recs) > 0 {
		a.m.EventBytes = float64(sumSize) / float64(len(o.recs))
	}

	// bytes
	byID := make(map[string]int, len(o.recs))
	interested := make([][]bool, len(o.recs))
	for i, r := range o.recs {
		byID[r.msgID] = i
		in := make([]bool, o.n)
		for _, n := range r.needs {
			in[n] = true
		}
		if r.author >= 0 && r.author < o.n {
			in[r.author] = true
		}
		interested[i] = in
	}
	var all, over, inBytes, unBytes, copies, uniq int64
	a.bytesPerNode = make([]int64, o.n)
	a.neededBytes = make([]int64, o.n)
	for _, r := range o.recs {
		for _, n := range r.needs {
			a.neededBytes[n] += int64(r.size)
		}
	}
	for n, sn := range snaps {
		total, overhead, parts, msgs := sn.total, sn.overhead, sn.parts, sn.msgs
		a.m.Bytes.add(parts)
		for k, v := range sn.drops {
			if a.m.PubsubDrops == nil {
				a.m.PubsubDrops = map[string]int{}
			}
			if o.label != nil {
				k += " @ " + o.label(n)
			}
			a.m.PubsubDrops[k] += v
		}
		a.bytesPerNode[n] = total
		all += total
		over += overhead
		for id, mb := range msgs {
			i, ok := byID[id]
			switch {
			case !ok:
				over += mb.bytes // setup events and other unmeasured messages
			case interested[i][n]:
				inBytes += mb.bytes
			default:
				unBytes += mb.bytes
			}
			if ok && mb.copies > 0 {
				copies += int64(mb.copies)
				uniq++
			}
		}
	}
	a.m.PubsubBytesReceived = all
	if needed > 0 && a.m.EventBytes > 0 {
		denom := float64(needed) * a.m.EventBytes
		a.m.BytesPerEventRatio = float64(inBytes+over) / denom
		a.m.TotalBytesPerEventRatio = float64(all) / denom
	}
	if len(o.recs) > 0 {
		a.m.UninterestedBytesPerEvent = float64(unBytes) / float64(len(o.recs))
	}
	if all > 0 {
		a.m.OverheadShare = float64(over) / float64(all)
		a.m.UninterestedShare = float64(unBytes) / float64(all)
	}
	if uniq > 0 {
		a.m.DuplicatesPerDelivery = float64(copies)/float64(uniq) - 1
	}

	// churn repair: from reconnect until the last event the node needed
	// and missed while away had arrived
	for n, ivs := range o.offline {
		for _, iv := range ivs {
			if iv.to.IsZero() {
				continue
			}
			worst, missed, any := time.Duration(0), false, false
			for i := range o.recs {
				r := &o.recs[i]
				if r.pub.Before(iv.from) || r.pub.After(iv.to) || !slices.Contains(r.needs, n) {
					continue
				}
				any = true
				switch {
				case r.arr[n].IsZero():
					if !delivered(i, n) {
						missed = true
					}
				case r.arr[n].After(iv.to):
					worst = max(worst, r.arr[n].Sub(iv.to))
				}
			}
			switch {
			case missed:
				a.repairMissed++
			case any:
				a.repair = append(a.repair, worst)
			}
		}
	}
	slices.Sort(a.repair)

	// how long reconnected nodes went without a gossip mesh
	var regraft []time.Duration
	for n, ivs := range o.offline {
		for _, iv := range ivs {
			if iv.to.IsZero() || n >= len(o.tracers) || o.tracers[n] == nil {
				continue
			}
			if g := o.tracers[n].firstGraftAfter(iv.to); !g.IsZero() {
				regraft = append(regraft, g.Sub(iv.to))
			} else {
				regraft = append(regraft, o.end.Sub(iv.to))
			}
		}
	}
	slices.Sort(regraft)
	a.m.RegraftP50Ms, a.m.RegraftMaxMs = sim.PercentileMs(regraft, 50), sim.PercentileMs(regraft, 100)
	return a
}

func kindOr(k string) string {
	if k == "" {
		return "message"
	}
	return k
}
