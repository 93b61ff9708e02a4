package bench

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	"github.com/libp2p/go-libp2p/core/host"

	"github.com/coopnode/coopnode/node/sim"
)

// The baseline: plain gossipsub with default parameters (and so the
// default StrictSign policy, with the same Ed25519 host keys), one topic
// that every node subscribes to, on the same graph, link latency and
// bandwidth, replaying the coopnode run's publications — same authors,
// same sizes, same offsets — and its outages.

// basePlan is the schedule the baseline replays.
type basePlan struct {
	n     int
	g     graph
	topic string
	msgs  []baseMsg
	outs  []baseOutage
}

type baseMsg struct {
	at     time.Duration // after the start of the measured phase
	author int
	size   int
	needs  []int // who needed the coopnode event
}

type baseOutage struct {
	node     int
	from, to time.Duration // to < 0: never came back
}

// planFrom derives the baseline's schedule from a coopnode observation.
func planFrom(o *observation, g graph, t0 time.Time, topic string) basePlan {
	p := basePlan{n: o.n, g: g, topic: topic}
	for _, r := range o.recs {
		p.msgs = append(p.msgs, baseMsg{at: r.pub.Sub(t0), author: r.author, size: max(r.size, 4), needs: r.needs})
	}
	for n, ivs := range o.offline {
		for _, iv := range ivs {
			if iv.from.Before(t0) {
				continue
			}
			to := time.Duration(-1)
			if !iv.to.IsZero() {
				to = iv.to.Sub(t0)
			}
			p.outs = append(p.outs, baseOutage{node: n, from: iv.from.Sub(t0), to: to})
		}
	}
	return p
}

// baseRun is one baseline run.
type baseRun struct {
	cfg   Config
	plan  basePlan
	fab   *fabric
	on    atomic.Bool
	raw   *rawLog
	hosts []host.Host
	trs   []*byteTracer
	tops  []*pubsub.Topic
	subs  []*pubsub.Subscription

	mu      sync.Mutex
	arr     [][]time.Time // per message, per node
	pubAt   []time.Time
	last    time.Time // last arrival
	offline []bool
	outages [][]interval
}

// runBaseline runs the plan and returns two observations of it: every
// node needing every message (plain gossipsub's own terms), and coopnode's
// needs (what one topic for everything costs).
func runBaseline(ctx context.Context, cfg Config, plan basePlan) (all, needed *observation, cpuShare [2]float64, mesh [3]int, err error) {
	b := &baseRun{cfg: cfg, plan: plan, fab: newFabric(cfg, plan.n), raw: newRawLog(),
		offline: make([]bool, plan.n), outages: make([][]interval, plan.n)}
	ctx, cancel := context.WithCancel(ctx)
	var pumps sync.WaitGroup
	defer func() {
		cancel()
		for _, s := range b.subs {
			s.Cancel()
		}
		pumps.Wait()
		for _, h := range b.hosts {
			_ = h.Close()
		}
		b.fab.close()
	}()
	for i := range plan.n {
		k := nodeKey(cfg.Seed, i)
		var h host.Host
		if b.fab.mn != nil {
			h, err = b.fab.mockHost(i, k)
		} else {
			h, err = loopbackHost(k)
		}
		if err != nil {
			return nil, nil, cpuShare, mesh, err
		}
		b.hosts = append(b.hosts, h)
		b.fab.register(i, h)
		tr := newByteTracer(pubsub.DefaultMsgIdFn, &b.on, b.raw, cfg.Now)
		ps, err := pubsub.NewGossipSub(ctx, h, pubsub.WithRawTracer(tr))
		if err != nil {
			return nil, nil, cpuShare, mesh, fmt.Errorf("bench: baseline gossipsub %d: %w", i, err)
		}
		t, err := ps.Join(plan.topic)
		if err != nil {
			return nil, nil, cpuShare, mesh, err
		}
		s, err := t.Subscribe()
		if err != nil {
			return nil, nil, cpuShare, mesh, err
		}
		b.trs, b.tops, b.subs = append(b.trs, tr), append(b.tops, t), append(b.subs, s)
	}
	for _, e := range plan.g.edges() {
		if err := b.fab.connect(ctx, e[0], e[1]); err != nil {
			return nil, nil, cpuShare, mesh, err
		}
	}
	if err := sim.Poll(ctx, setupWait, pollEvery, "baseline meshes", func() bool {
		for _, t := range b.trs {
			if t.meshSize(plan.topic) < 1 {
				return false
			}
		}
		return true
	}); err != nil {
		return nil, nil, cpuShare, mesh, err
	}
	b.arr = make([][]time.Time, len(plan.msgs))
	for k := range b.arr {
		b.arr[k] = make([]time.Time, plan.n)
	}
	b.pubAt = make([]time.Time, len(plan.msgs))
	for i, s := range b.subs {
		pumps.Add(1)
		go func() {
			defer pumps.Done()
			b.pump(ctx, i, s)
		}()
	}

	p50, worst, conn := meshGraph(b.trs, b.fab.index(), plan.topic).floors()
	mesh = [3]int{p50, worst, b2i(conn)}
	cpu := startCPU()
	t0 := cfg.Now()
	b.on.Store(true)
	var churn sync.WaitGroup
	churn.Add(1)
	go func() { defer churn.Done(); b.churn(ctx, t0) }()
	data := rand.New(rand.NewSource(cfg.Seed ^ 0x5eed))
	for k, m := range plan.msgs {
		if err := sim.Pause(ctx, t0.Add(m.at).Sub(cfg.Now())); err != nil {
			return nil, nil, cpuShare, mesh, err
		}
		payload := make([]byte, m.size)
		data.Read(payload)
		binary.BigEndian.PutUint32(payload, uint32(k))
		b.mu.Lock()
		b.pubAt[k] = cfg.Now()
		b.mu.Unlock()
		if err := b.tops[m.author].Publish(ctx, payload); err != nil {
			return nil, nil, cpuShare, mesh, fmt.Errorf("bench: baseline publish: %w", err)
		}
	}
	churn.Wait()
	// drain: until nothing arrived for two seconds (nodes that were away
	// never get what they missed: plain gossipsub has no repair)
	_ = sim.Poll(ctx, cfg.Drain, pollEvery, "baseline quiet", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return cfg.Now().Sub(b.last) > 2*time.Second
	})
	b.on.Store(false)
	end := cfg.Now()
	cpuShare[0], cpuShare[1] = cpu.shares()

	b.mu.Lock()
	defer b.mu.Unlock()
	ids, datas := b.raw.all()
	msgID := make([]string, len(plan.msgs))
	for j, d := range datas {
		if len(d) >= 4 {
			if k := int(binary.BigEndian.Uint32(d)); k < len(msgID) {
				msgID[k] = ids[j]
			}
		}
	}
	mk := func(everyone bool) *observation {
		o := &observation{n: plan.n, end: end, offline: b.outages, tracers: b.trs}
		for k, m := range plan.msgs {
			rec := record{pub: b.pubAt[k], author: m.author, size: m.size, msgID: msgID[k], arr: slices.Clone(b.arr[k])}
			if everyone {
				for i := range plan.n {
					if i != m.author {
						rec.needs = append(rec.needs, i)
					}
				}
			} else {
				rec.needs = m.needs
			}
			o.recs = append(o.recs, rec)
		}
		return o
	}
	return mk(true), mk(false), cpuShare, mesh, nil
}

// pump records when node i receives each message.
func (b *baseRun) pump(ctx context.Context, i int, s *pubsub.Subscription) {
	for {
		m, err := s.Next(ctx)
		if err != nil {
			return
		}
		now := b.cfg.Now()
		if len(m.Data) < 4 {
			continue
		}
		k := int(binary.BigEndian.Uint32(m.Data))
		b.mu.Lock()
		if k < len(b.arr) && b.arr[k][i].IsZero() {
			b.arr[k][i] = now
			b.last = now
		}
		b.mu.Unlock()
	}
}

// churn replays the coopnode run's outages.
func (b *baseRun) churn(ctx context.Context, t0 time.Time) {
	type step struct {
		at   time.Duration
		node int
		up   bool
	}
	var steps []step
	for _, o := range b.plan.outs {
		steps = append(steps, step{o.from, o.node, false})
		if o.to >= 0 {
			steps = append(steps, step{o.to, o.node, true})
		}
	}
	slices.SortStableFunc(steps, func(a, c step) int { return int(a.at - c.at) })
	for _, s := range steps {
		if sim.Pause(ctx, t0.Add(s.at).Sub(b.cfg.Now())) != nil {
			return
		}
		now := b.cfg.Now()
		if !s.up {
			b.mu.Lock()
			b.offline[s.node] = true
			b.outages[s.node] = append(b.outages[s.node], interval{from: now})
			b.mu.Unlock()
			for _, j := range b.plan.g.adj[s.node] {
				b.fab.cut(s.node, j)
			}
			continue
		}
		for _, j := range b.plan.g.adj[s.node] {
			b.mu.Lock()
			off := b.offline[j]
			b.mu.Unlock()
			if !off {
				_ = b.fab.connect(ctx, s.node, j)
			}
		}
		b.mu.Lock()
		b.offline[s.node] = false
		if ivs := b.outages[s.node]; len(ivs) > 0 {
			ivs[len(ivs)-1].to = now
		}
		b.mu.Unlock()
	}
}
