package bench

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"
)

// Config is one scenario. Zero values take the defaults (DefaultNodes
// nodes, 40 ms links, degree 8, 60 orders/min for 30 s, 10 % churn).
type Config struct {
	// Nodes splits into 1 relay, 20 % restaurants, 30 % couriers and the
	// rest customers, unless Restaurants, Couriers or Customers are set
	// (then Nodes is ignored and N = 1 + R + C + K).
	Nodes                            int
	Restaurants, Couriers, Customers int

	// Loopback runs real TCP on 127.0.0.1 instead of mocknet (Latency and
	// Bandwidth do not apply; churn closes connections instead of cutting
	// links).
	Loopback  bool
	Latency   time.Duration // one way, per link (mocknet); default 40 ms, negative = 0
	Bandwidth float64       // bytes/s per link (mocknet); 0 = unlimited
	// Degree is the connections each follower of the orders topic (the
	// relay and the couriers) keeps to other followers; default 8. With
	// RandomGraph it is every node's average degree instead.
	Degree int
	// LeafLinks is the connections each leaf (a customer or a restaurant:
	// it does not follow the orders topic, SPEC.md §10.4) keeps, each to a
	// follower; default 2.
	LeafLinks int
	// By default the harness draws no graph: every node starts with the
	// relay's address only (what an invite gives) and builds its role
	// links itself (SPEC.md §10.7); any node may dial any other.
	//
	// RandomGraph connects one random graph of average degree Degree over
	// all nodes first, ignoring roles, and gives no bootstrap address: the
	// nodes start from their random neighbours and add the role links
	// they lack themselves.
	RandomGraph bool
	// DrawnGraph connects the role graph drawn by the harness (followers
	// Degree links among themselves, leaves LeafLinks to followers; the
	// default before the nodes built their own) and turns the nodes' own
	// role links off; only the drawn links exist.
	DrawnGraph bool
	// MocknetLatency uses mocknet's own latency model (stop-and-wait per
	// stream, see latency.go) instead of the harness's delay line.
	MocknetLatency bool

	OrdersPerMin      float64       // default 60
	Duration          time.Duration // order phase; default 30 s
	MenuUpdatesPerMin float64       // catalogue updates during the run; default 2, negative = none
	// Churn is the share of phones (couriers and customers) that go
	// offline once during the run, for about ChurnOff (0.5–1.5×) each.
	Churn    float64       // default 0.1; negative = none
	ChurnOff time.Duration // default 4 s
	// SyncOff is how long the measured courier stays away before its
	// catch-up session; default 40 % of Duration.
	SyncOff time.Duration
	// Drain bounds the wait, after the last order, for every needed event
	// to arrive; default 20 s.
	Drain time.Duration

	// Baseline also runs plain gossipsub on the same schedule and graph;
	// BaselineDeployed on the same schedule as deployed: a random graph of
	// degree 8 over all nodes (issue 18).
	Baseline, BaselineDeployed bool

	// ProcExe, when set, runs the relay and one more courier as their own
	// processes of this coopnode executable, so that the kernel accounts
	// their CPU time and memory (day.go); the coop's founder is then an
	// admin's node in the harness. It implies Loopback and the nodes' own
	// topology. Idle is the idle window measured before the orders
	// (default 30 s: one anti-entropy period), OrdersPerDay the day the
	// figures are scaled to (default 200).
	ProcExe      string
	Idle         time.Duration
	OrdersPerDay int

	// Coops, when ≥ 1, runs a city (coops.go): Coops cooperatives of
	// this size at once on one mocknet, each with its own relay, all the
	// relays following the city's directory (SPEC.md §22) and connected
	// to each other; no baselines.
	Coops int

	// Gossip knobs for the coopnode nodes (benchmark-only; zero = the
	// node's defaults).
	SyncInterval   time.Duration // anti-entropy period; 0 = node default (30 s)
	D, Dlo, Dhi    int
	Dlazy          int     // non-mesh peers sent IHAVE per heartbeat; 0 = the node's 3
	HistoryGossip  int     // heartbeats a message is announced by IHAVE; 0 = the node's 1
	GossipFactor   float64 // share of non-mesh peers sent IHAVE; 0 = the node's 1.0
	Heartbeat      time.Duration
	NoFloodPublish bool
	IDontWant      int // IDONTWANT size threshold in bytes; 0 = gossipsub's 1 KiB
	// NoPartyLinks turns the nodes' party links off (SPEC.md §10.8) and
	// has customers check out without quoting their cart first.
	NoPartyLinks bool

	Seed   int64            // all randomness; 0 = 1
	Now    func() time.Time // the clock for every measurement; nil = time.Now
	Log    io.Writer        // progress lines; nil = discard
	Logger *slog.Logger     // the nodes' own logs; nil = discard
}

// DefaultNodes is the size of the default scenario.
const DefaultNodes = 100

// Bounds of a Config.
const (
	MinNodes = 6
	MaxNodes = 1000
	MaxCoops = 8
)

// ErrConfig wraps every configuration error.
var ErrConfig = errors.New("bench: bad config")

// Topology names the run's topology mode: "own" (the nodes' own role
// links from the relay's address), "random" or "drawn".
func (c Config) Topology() string {
	switch {
	case c.RandomGraph:
		return "random"
	case c.DrawnGraph:
		return "drawn"
	}
	return "own"
}

func (c Config) withDefaults() (Config, error) {
	var errs []error
	bad := func(format string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...))
	}
	if c.Restaurants == 0 && c.Couriers == 0 && c.Customers == 0 {
		n := c.Nodes
		if n == 0 {
			n = DefaultNodes
		}
		if n < MinNodes || n > MaxNodes {
			bad("nodes = %d, want %d..%d", n, MinNodes, MaxNodes)
		} else {
			c.Restaurants = max(1, int(math.Round(float64(n)*0.2)))
			c.Couriers = max(3, int(math.Round(float64(n)*0.3)))
			c.Customers = n - 1 - c.Restaurants - c.Couriers
		}
	}
	switch {
	case c.Restaurants < 1:
		bad("restaurants = %d, want ≥ 1", c.Restaurants)
	case c.Couriers < 3:
		bad("couriers = %d, want ≥ 3 (one is the measured catch-up courier)", c.Couriers)
	case c.Customers < 1:
		bad("customers = %d, want ≥ 1", c.Customers)
	}
	c.Nodes = 1 + c.Restaurants + c.Couriers + c.Customers
	if c.Nodes > MaxNodes {
		bad("%d nodes, want at most %d", c.Nodes, MaxNodes)
	}
	if c.ProcExe != "" {
		c.Loopback = true
		if c.RandomGraph || c.DrawnGraph {
			bad("a relay process needs the nodes' own topology (no random or drawn graph)")
		}
		if c.Idle == 0 {
			c.Idle = 30 * time.Second
		}
		if c.OrdersPerDay == 0 {
			c.OrdersPerDay = 200
		}
		if c.Idle < 0 || c.OrdersPerDay < 0 {
			bad("idle = %v, orders per day = %d: want both > 0", c.Idle, c.OrdersPerDay)
		}
	}
	if c.Coops < 0 || c.Coops > MaxCoops {
		bad("coops = %d, want 0..%d", c.Coops, MaxCoops)
	}
	if c.Coops > 0 && (c.Loopback || c.ProcExe != "") {
		bad("a city of coops runs on mocknet only (no loopback, no processes)")
	}
	if c.Latency == 0 {
		c.Latency = 40 * time.Millisecond
	}
	if c.Latency < 0 || c.Loopback {
		c.Latency = 0
	}
	if c.Bandwidth < 0 || math.IsNaN(c.Bandwidth) || math.IsInf(c.Bandwidth, 0) {
		bad("bandwidth = %v, want ≥ 0 bytes/s", c.Bandwidth)
	}
	if c.Loopback {
		c.Bandwidth = 0
	}
	if c.RandomGraph && c.DrawnGraph {
		bad("random graph and drawn graph exclude each other")
	}
	if c.Degree == 0 {
		c.Degree = 8
	}
	if c.Degree < 2 {
		bad("degree = %d, want ≥ 2", c.Degree)
	}
	if c.GossipFactor < 0 || c.GossipFactor > 1 || math.IsNaN(c.GossipFactor) {
		bad("gossip factor = %v, want 0..1", c.GossipFactor)
	}
	if c.Dlazy < 0 || c.HistoryGossip < 0 || c.HistoryGossip > 5 {
		bad("Dlazy = %d, history gossip = %d: want Dlazy ≥ 0 and history gossip 0..5", c.Dlazy, c.HistoryGossip)
	}
	if c.LeafLinks == 0 {
		c.LeafLinks = 2
	}
	if c.LeafLinks < 1 || c.LeafLinks > 32 {
		bad("leaf links = %d, want 1..32", c.LeafLinks)
	}
	if c.OrdersPerMin == 0 {
		c.OrdersPerMin = 60
	}
	if !(c.OrdersPerMin > 0 && c.OrdersPerMin <= 6000) {
		bad("orders per minute = %v, want (0, 6000]", c.OrdersPerMin)
	}
	if c.Duration == 0 {
		c.Duration = 30 * time.Second
	}
	if c.Duration < time.Second || c.Duration > 24*time.Hour {
		bad("duration = %v, want 1s..24h", c.Duration)
	}
	if c.MenuUpdatesPerMin == 0 {
		c.MenuUpdatesPerMin = 2
	}
	if c.MenuUpdatesPerMin < 0 || math.IsNaN(c.MenuUpdatesPerMin) {
		c.MenuUpdatesPerMin = 0
	}
	if c.MenuUpdatesPerMin > 600 {
		bad("menu updates per minute = %v, want ≤ 600", c.MenuUpdatesPerMin)
	}
	if c.Churn == 0 {
		c.Churn = 0.1
	}
	if c.Churn < 0 || math.IsNaN(c.Churn) {
		c.Churn = 0
	}
	if c.Churn > 1 {
		bad("churn = %v, want a share in [0, 1]", c.Churn)
	}
	if c.ChurnOff == 0 {
		c.ChurnOff = 4 * time.Second
	}
	if c.ChurnOff < 0 {
		bad("churn-off = %v, want > 0", c.ChurnOff)
	}
	if c.SyncOff == 0 {
		c.SyncOff = c.Duration * 4 / 10
	}
	if c.SyncOff < 0 || c.SyncOff > c.Duration {
		bad("sync-off = %v, want within the duration %v", c.SyncOff, c.Duration)
	}
	if c.Drain == 0 {
		c.Drain = 20 * time.Second
	}
	if c.Drain < 0 {
		bad("drain = %v, want > 0", c.Drain)
	}
	if c.D != 0 || c.Dlo != 0 || c.Dhi != 0 {
		if c.D < 2 || c.Dlo < 1 || c.Dlo > c.D || c.D > c.Dhi {
			bad("gossip degrees D=%d Dlo=%d Dhi=%d, want 1 ≤ Dlo ≤ D ≤ Dhi and D ≥ 2", c.D, c.Dlo, c.Dhi)
		}
	}
	if c.IDontWant < 0 {
		bad("idontwant = %d, want ≥ 0 bytes", c.IDontWant)
	}
	if c.Heartbeat < 0 {
		bad("heartbeat = %v, want ≥ 0", c.Heartbeat)
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c, errors.Join(errs...)
}

// HopFloor returns H, the smallest h with 6·Σ_{i<h} 5^i ≥ n−1: the hops a
// flood of fan-out 6 (each relay forwarding to 5 new peers) needs to reach
// n nodes. H·L is the physical floor of propagation over links of
// latency L.
func HopFloor(n int) int {
	if n <= 1 {
		return 0
	}
	h, reach, pow := 0, 0, 1
	for reach < n-1 {
		reach += 6 * pow
		pow *= 5
		h++
	}
	return h
}
