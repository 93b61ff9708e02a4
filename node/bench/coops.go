package bench

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/libp2p/go-libp2p/p2p/net/mock"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/coopnode/coopnode/node/sim"
	"github.com/coopnode/coopnode/protocol"
)

// A city of coops (issue 18, SPEC.md §22): Config.Coops cooperatives of
// the configured size run at once on one mocknet, each with its own
// relay, customers and schedule (seeds differ per coop). The coops share
// the city: their relays are connected to each other and follow the
// city's directory, each relay publishes its coop's card, and every
// customer node follows the directory too (the customer app lists the
// city's coops). The figures show what one node pays as the city grows:
// each coop's propagation, bytes per node and per needed delivery, and
// the whole process's CPU and memory per node. A node belongs to one
// coop (SPEC.md §22.4), so a relay machine serving K coops runs K relay
// nodes; the figures are per node.

// cityName is the simulated city.
const cityName = "Nantes"

// cityPlace is a coop's place in a city run: its index and the city's
// mocknet, where every host of every coop lives.
type cityPlace struct {
	k  int
	mn mocknet.Mocknet
}

// CityFigure is a city run's own figures.
type CityFigure struct {
	Coops        int `json:"coops"`
	NodesPerCoop int `json:"nodes_per_coop"`
	Nodes        int `json:"nodes"`
	// From the relays publishing their cards until every relay held every
	// coop's card, and until every node did (0: not within 15 s);
	// DirectoryNodes held them all at the end of that wait.
	DirectoryRelaysMs float64 `json:"directory_relays_ms"`
	DirectoryMs       float64 `json:"directory_ms"`
	DirectoryNodes    int     `json:"directory_nodes"`
	// The process over the measured phase: busy share of the machine's
	// CPUs, the same for other processes (-1 unknown), and per node: its
	// share of one core and its peak RSS.
	CPUBusyShare        float64       `json:"cpu_busy_share"`
	CPUOtherShare       float64       `json:"cpu_other_share"`
	CPUCoreSharePerNode float64       `json:"cpu_core_share_per_node"`
	RSSMBPerNode        float64       `json:"rss_mb_per_node"`
	PerCoop             []CoopFigures `json:"per_coop"`
	Mean                CoopFigures   `json:"mean"`
}

// CoopFigures are one coop's headline figures in a city run.
type CoopFigures struct {
	Coop               int     `json:"coop"`
	Events             int     `json:"events"`
	OrdersPlaced       int     `json:"orders_placed"`
	PropagationP50Ms   float64 `json:"propagation_p50_ms"`
	PropagationP99Ms   float64 `json:"propagation_p99_ms"`
	DeliveryRatio      float64 `json:"delivery_ratio"`
	BytesPerEventRatio float64 `json:"bytes_per_event_ratio"`
	// PubsubKBPerNode: pubsub bytes its nodes received over the measured
	// phase, per node, in KB (the per-node cost that must stay flat)
	PubsubKBPerNode           float64 `json:"pubsub_kb_per_node"`
	UninterestedBytesPerEvent float64 `json:"uninterested_bytes_per_event"`
	OrderAlertP99Ms           float64 `json:"order_alert_p99_ms"`
	ClaimOutcomeP99Ms         float64 `json:"claim_outcome_p99_ms"`
	FirstMenuMs               float64 `json:"first_menu_ms"`
}

func coopFigures(k int, r *Result) CoopFigures {
	return CoopFigures{Coop: k + 1, Events: r.Events, OrdersPlaced: r.OrdersPlaced, PropagationP50Ms: r.PropagationP50Ms,
		PropagationP99Ms: r.PropagationP99Ms, DeliveryRatio: r.DeliveryRatio, BytesPerEventRatio: r.BytesPerEventRatio,
		PubsubKBPerNode: float64(r.PubsubBytesReceived) / 1024 / float64(r.Nodes), UninterestedBytesPerEvent: r.UninterestedBytesPerEvent,
		OrderAlertP99Ms: r.OrderAlertP99Ms, ClaimOutcomeP99Ms: r.ClaimOutcomeP99Ms, FirstMenuMs: r.FirstMenuMs}
}

// runCity runs cfg.Coops coops at once and returns the first coop's full
// figures with the city's.
func runCity(ctx context.Context, cfg Config) (*Result, error) {
	start := cfg.Now()
	mn := newCityMocknet(cfg)
	defer mn.Close()
	K := cfg.Coops
	runs := make([]*coopRun, K)
	for k := range K {
		ck := cfg
		ck.Seed = cfg.Seed + int64(k)*1_000_003 // distinct keys and schedules
		r := newCoopRun(ctx, ck)
		defer r.cancel(nil)
		r.fab = newSharedFabric(ck, ck.Nodes, mn, k*ck.Nodes)
		r.city = &cityPlace{k: k, mn: mn}
		runs[k] = r
	}
	stopAll := func() {
		_ = sim.Parallel(K, func(k int) error { runs[k].shutdown(); return nil })
	}
	rss := startRSS(250 * time.Millisecond)
	fmt.Fprintf(cfg.Log, "bench: a city of %d coops of %d nodes\n", K, cfg.Nodes)
	if err := sim.Parallel(K, func(k int) error { return runs[k].setup() }); err != nil {
		rss.end()
		stopAll()
		return nil, err
	}
	dir, err := cityDirectory(ctx, cfg, runs)
	if err != nil {
		rss.end()
		stopAll()
		return nil, err
	}
	cpu := startCPU()
	err = sim.Parallel(K, func(k int) error { return runs[k].drive() })
	self, other := cpu.shares()
	peak := rss.end()
	if err != nil {
		stopAll()
		return nil, err
	}
	results := make([]*Result, K)
	var first measured
	_ = sim.Parallel(K, func(k int) error {
		results[k] = newResult(runs[k].cfg, start)
		ms := runs[k].finish(results[k])
		if k == 0 {
			first = ms
		}
		return nil
	})
	n := K * cfg.Nodes
	city := &CityFigure{Coops: K, NodesPerCoop: cfg.Nodes, Nodes: n, DirectoryRelaysMs: dir.relaysMs, DirectoryMs: dir.allMs, DirectoryNodes: dir.nodes, CPUBusyShare: self, CPUOtherShare: other,
		CPUCoreSharePerNode: self * float64(runtime.NumCPU()) / float64(n), RSSMBPerNode: float64(peak) / (1 << 20) / float64(n)}
	for k, r := range results {
		r.RSSMBPerNode = city.RSSMBPerNode
		city.PerCoop = append(city.PerCoop, coopFigures(k, r))
	}
	city.Mean = meanCoop(city.PerCoop)
	res := results[0]
	res.City = city
	rate, events, err := applyRate(first.raws, time.Second, cfg.Now)
	if err != nil {
		return nil, err
	}
	res.ApplyEventsPerSecPerCore, res.ApplyEvents = rate, events
	res.Targets = res.checks()
	res.ElapsedS = cfg.Now().Sub(start).Seconds()
	return res, nil
}

// cityDirectory links the coops' relays to each other, has each publish
// its coop's card, and waits until every node of the city holds every
// card; it returns how long that took.
func cityDirectory(ctx context.Context, cfg Config, runs []*coopRun) (directoryFigure, error) {
	for a := range runs {
		for b := a + 1; b < len(runs); b++ {
			ha, hb := runs[a].relay.h, runs[b].relay.h
			if _, err := runs[a].city.mn.LinkPeers(ha.ID(), hb.ID()); err != nil {
				return directoryFigure{}, fmt.Errorf("bench: link relays of coops %d and %d: %w", a+1, b+1, err)
			}
			if _, err := runs[a].city.mn.ConnectPeers(ha.ID(), hb.ID()); err != nil {
				return directoryFigure{}, fmt.Errorf("bench: connect relays of coops %d and %d: %w", a+1, b+1, err)
			}
		}
	}
	// a relay forwards by gossip a card it got by gossip, not one it got
	// by card exchange (SPEC.md §22.5, which is for nodes joining later):
	// publish once every relay knows the others follow the city
	topic := protocol.TopicCity(crdt.NormalizeCity(cityName))
	if err := sim.Poll(ctx, setupWait, pollEvery, "the relays to know each other follow the city", func() bool {
		for _, a := range runs {
			for _, b := range runs {
				if a != b && !a.relay.tr.follows(b.relay.n.ID(), topic) {
					return false
				}
			}
		}
		return true
	}); err != nil {
		return directoryFigure{}, err
	}
	from := cfg.Now()
	for _, r := range runs {
		if _, err := r.relay.n.PublishCard(ctx, node.CardInfo{City: cityName}); err != nil {
			return directoryFigure{}, fmt.Errorf("bench: coop card: %w", err)
		}
	}
	var ms []*member
	for _, r := range runs {
		ms = append(ms, r.ms...)
	}
	holds := func(m *member) bool {
		_, cards, err := m.n.Directory(ctx)
		return err == nil && len(cards) == len(runs)
	}
	var d directoryFigure
	if err := sim.Poll(ctx, setupWait, pollEvery, "every coop's card at every relay", func() bool {
		for _, r := range runs {
			if !holds(r.relay) {
				return false
			}
		}
		return true
	}); err != nil {
		return d, err
	}
	d.relaysMs = sim.Ms(cfg.Now().Sub(from))
	// every node of the city, for at most cardSpread: a node that never
	// gets a card is a figure, not a failed run
	_ = sim.Poll(ctx, cardSpread, pollEvery, "every coop's card at every node", func() bool {
		for _, m := range ms {
			if !holds(m) {
				return false
			}
		}
		return true
	})
	at := sim.Ms(cfg.Now().Sub(from))
	by := map[node.Role]int{}
	for _, m := range ms {
		if holds(m) {
			d.nodes++
		} else {
			by[m.role]++
		}
	}
	if d.nodes == len(ms) {
		d.allMs = at
	}
	fmt.Fprintf(cfg.Log, "bench: city directory: %d cards at every relay after %.0f ms; %d of %d nodes hold them all after %.0f ms (short: %v)\n",
		len(runs), d.relaysMs, d.nodes, len(ms), at, by)
	return d, nil
}

// cardSpread bounds the wait for every node of a city to hold every card.
const cardSpread = 15 * time.Second

// directoryFigure is how the city's cards spread.
type directoryFigure struct {
	relaysMs, allMs float64 // every card at every relay; at every node (0: not within cardSpread)
	nodes           int     // nodes holding every card at the end
}

func meanCoop(cs []CoopFigures) CoopFigures {
	var m CoopFigures
	if len(cs) == 0 {
		return m
	}
	k := float64(len(cs))
	for _, c := range cs {
		m.Events += c.Events
		m.OrdersPlaced += c.OrdersPlaced
		m.PropagationP50Ms += c.PropagationP50Ms / k
		m.PropagationP99Ms += c.PropagationP99Ms / k
		m.DeliveryRatio += c.DeliveryRatio / k
		m.BytesPerEventRatio += c.BytesPerEventRatio / k
		m.PubsubKBPerNode += c.PubsubKBPerNode / k
		m.UninterestedBytesPerEvent += c.UninterestedBytesPerEvent / k
		m.OrderAlertP99Ms += c.OrderAlertP99Ms / k
		m.ClaimOutcomeP99Ms += c.ClaimOutcomeP99Ms / k
		m.FirstMenuMs += c.FirstMenuMs / k
	}
	m.Events /= len(cs)
	m.OrdersPlaced /= len(cs)
	return m
}

// write prints the city's figures, a line per coop.
func (c *CityFigure) write(w io.Writer) error {
	if _, err := fmt.Fprintf(w, "city: %d coops × %d nodes = %d nodes; directory: every card at every relay after %.0f ms, at every node after %.0f ms (0: not within 15 s; %d of %d nodes hold them all); CPU busy %.0f%% of the machine (others %.0f%%), %.2f%% of a core and %.1f MB RSS per node\n",
		c.Coops, c.NodesPerCoop, c.Nodes, c.DirectoryRelaysMs, c.DirectoryMs, c.DirectoryNodes, c.Nodes, 100*c.CPUBusyShare, 100*c.CPUOtherShare, 100*c.CPUCoreSharePerNode, c.RSSMBPerNode); err != nil {
		return err
	}
	for _, f := range append(c.PerCoop, c.Mean) {
		name := fmt.Sprintf("coop %d", f.Coop)
		if f.Coop == 0 {
			name = "mean"
		}
		if _, err := fmt.Fprintf(w, "  %-7s %4d events, %3d orders: p50 / p99 %.0f / %.0f ms, delivery %.4f, %.2f×S, %.0f KB pubsub per node, uninterested %.0f B/event, order alert p99 %.0f ms, claim outcome p99 %.0f ms, first menus %.0f ms\n",
			name, f.Events, f.OrdersPlaced, f.PropagationP50Ms, f.PropagationP99Ms, f.DeliveryRatio, f.BytesPerEventRatio, f.PubsubKBPerNode,
			f.UninterestedBytesPerEvent, f.OrderAlertP99Ms, f.ClaimOutcomeP99Ms, f.FirstMenuMs); err != nil {
			return err
		}
	}
	return nil
}
