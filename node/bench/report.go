package bench

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Metrics are the latency, delivery and byte figures of one run, coopnode
// or baseline (see the package documentation for the definitions). Its
// JSON names are a contract.
type Metrics struct {
	Events                int     `json:"events"`
	PropagationP50Ms      float64 `json:"propagation_p50_ms"`
	PropagationP99Ms      float64 `json:"propagation_p99_ms"`
	PropagationMaxMs      float64 `json:"propagation_max_ms"`
	PropagationSamples    int     `json:"propagation_samples"`
	PropagationIncomplete int     `json:"propagation_incomplete"`
	DeliveryRatio         float64 `json:"delivery_ratio"`
	DeliveriesNeeded      int     `json:"deliveries_needed"`
	DeliveriesMissing     int     `json:"deliveries_missing"`
	// EventBytes is S, the mean wire size of an event (the payload size for
	// the baseline, which replays the same sizes).
	EventBytes                float64 `json:"event_bytes"`
	BytesPerEventRatio        float64 `json:"bytes_per_event_ratio"`
	TotalBytesPerEventRatio   float64 `json:"total_bytes_per_event_ratio"`
	UninterestedBytesPerEvent float64 `json:"uninterested_bytes_per_event"`
	UninterestedShare         float64 `json:"uninterested_share"`
	OverheadShare             float64 `json:"overhead_share"`
	DuplicatesPerDelivery     float64 `json:"duplicates_per_delivery"`
	PubsubBytesReceived       int64   `json:"pubsub_bytes_received"`
	// Bytes splits PubsubBytesReceived by what it carried.
	Bytes Breakdown `json:"pubsub_bytes_breakdown"`
	// PubsubDrops counts messages gossipsub rejected, ignored or dropped
	// during the measured phase, by reason (validator verdicts included:
	// "reject: validation ignored" is a duplicate the node already had).
	PubsubDrops map[string]int `json:"pubsub_drops,omitempty"`
	// CPUBusyShare is how busy the process's CPUs were during the measured
	// phase (Go runtime estimate): near 1, the simulator itself queues and
	// the latencies measure the machine more than the protocol.
	CPUBusyShare float64 `json:"cpu_busy_share"`
	// CPUOtherShare is how busy other processes kept the machine's CPUs
	// meanwhile (-1: unknown): a shared machine inflates every latency.
	CPUOtherShare float64 `json:"cpu_other_share"`
	// The gossip mesh of the busiest topic when the phase began: the
	// median and largest eccentricity in hops (how many mesh hops the
	// last node is from a median and from the worst author), and whether
	// it was connected at all.
	MeshHopsP50   int  `json:"mesh_hops_p50"`
	MeshHopsMax   int  `json:"mesh_hops_max"`
	MeshConnected bool `json:"mesh_connected"`
	// Regraft: after a node came back, how long until a peer joined one of
	// its gossip meshes (until then it hears only flood publishes and
	// IHAVE gossip).
	RegraftP50Ms float64 `json:"regraft_p50_ms"`
	RegraftMaxMs float64 `json:"regraft_max_ms"`
	// DeliveriesBySync counts needed deliveries that came without a gossip
	// copy, i.e. by a sync session (repair); Slowest lists the slowest
	// events, who was last to get them, and how.
	DeliveriesBySync int            `json:"deliveries_by_sync"`
	BySyncByNode     map[string]int `json:"deliveries_by_sync_by_node,omitempty"`
	Slowest          []Slow         `json:"slowest,omitempty"`
	// Baseline only: its propagation to the nodes that needed the coopnode
	// event it replays (the like-for-like comparison).
	PropagationNeededP50Ms float64 `json:"propagation_needed_p50_ms,omitempty"`
	PropagationNeededP99Ms float64 `json:"propagation_needed_p99_ms,omitempty"`
	PropagationNeededMaxMs float64 `json:"propagation_needed_max_ms,omitempty"`
}

// Slow is one of the slowest events of a run.
type Slow struct {
	Kind   string  `json:"kind"`
	Author string  `json:"author"`
	Last   string  `json:"last"` // the last node that needed it to get it
	Ms     float64 `json:"ms"`
	Via    string  `json:"via"` // how that node got it: gossip or sync
	// GossipMs is when its first gossip copy reached that node (the rest,
	// up to Ms, was spent in the node: validation queue, pending parents).
	GossipMs float64 `json:"gossip_ms,omitempty"`
}

// Check is one target and where the run stands: Status is "met",
// "missed" or "not measured" (this run did not measure it; Value says
// which run does).
type Check struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Target string `json:"target"`
	OK     bool   `json:"ok"`
	Status string `json:"status"`
}

// Result is a whole bench run. `coopnode bench --json` prints it as one
// JSON object; its field names are a contract.
type Result struct {
	Transport   string `json:"transport"`
	Nodes       int    `json:"nodes"`
	Relays      int    `json:"relays"`
	Restaurants int    `json:"restaurants"`
	Couriers    int    `json:"couriers"`
	Customers   int    `json:"customers"`
	// Topology is how the connections came about: "own" (the nodes' own
	// role links from the relay's address, SPEC.md §10.7), "random" (a
	// random graph first, then the nodes' own links) or "drawn" (the
	// harness's role graph only). ConnectionDegree and the graph floors
	// are of the connections when the measured phase began.
	Topology           string  `json:"topology"`
	ConnectionDegree   float64 `json:"connection_degree"`
	LinkLatencyMs      float64 `json:"link_latency_ms"`
	BandwidthBytesPerS float64 `json:"bandwidth_bytes_per_s"`
	Hops               int     `json:"hops"`
	HopFloorMs         float64 `json:"hop_floor_ms"`
	// The floor of this run's own topology: a flood over every connection
	// from a median (worst) author needs its eccentricity in hops.
	GraphFloorP50Ms float64 `json:"graph_floor_p50_ms"`
	GraphFloorMaxMs float64 `json:"graph_floor_max_ms"`
	OrdersPerMin    float64 `json:"orders_per_min"`
	DurationS       float64 `json:"duration_s"`
	Churn           float64 `json:"churn"`
	ChurnedNodes    int     `json:"churned_nodes"`
	Seed            int64   `json:"seed"`

	Metrics

	OrdersPlaced         int     `json:"orders_placed"`
	OrdersDelivered      int     `json:"orders_delivered"`
	Claims               int     `json:"claims"`
	ClaimResolutionP50Ms float64 `json:"claim_resolution_p50_ms"`
	ClaimResolutionP99Ms float64 `json:"claim_resolution_p99_ms"`
	// What people feel (issue 18): an order's checkout on the customer's
	// node until the order is applied on the restaurant's node, and a
	// claim (from the moment the courier's node is asked to make it) until
	// that node knows it won or lost.
	OrderAlertP50Ms   float64 `json:"order_alert_p50_ms"`
	OrderAlertP99Ms   float64 `json:"order_alert_p99_ms"`
	ClaimOutcomeP50Ms float64 `json:"claim_outcome_p50_ms"`
	ClaimOutcomeP99Ms float64 `json:"claim_outcome_p99_ms"`
	// The claim outcomes of couriers whose node was connected to the
	// restaurant's when they claimed, and of the others.
	ClaimsConnected            int     `json:"claims_connected"`
	ClaimOutcomeConnectedP50Ms float64 `json:"claim_outcome_connected_p50_ms"`
	ClaimOutcomeConnectedP99Ms float64 `json:"claim_outcome_connected_p99_ms"`
	ClaimsRelayed              int     `json:"claims_relayed"`
	ClaimOutcomeRelayedP50Ms   float64 `json:"claim_outcome_relayed_p50_ms"`
	ClaimOutcomeRelayedP99Ms   float64 `json:"claim_outcome_relayed_p99_ms"`
	// First menus (firstmenu.go): a new customer's node started with the
	// relay's invite after the run, until every restaurant's profile and
	// current menu is displayable on it; the stream bytes it received
	// meanwhile (-1: not measured); the signed events it displays
	// (profiles and menus, and the menus alone); bytes / catalogue.
	FirstMenuMs    float64 `json:"first_menu_ms"`
	FirstMenuBytes int64   `json:"first_menu_bytes"`
	// what its sync sessions read, counted once the first had ended (it
	// may end after the menus were displayable)
	FirstMenuSyncBytes      int     `json:"first_menu_sync_bytes"`
	FirstMenuCatalogueBytes int     `json:"first_menu_catalogue_bytes"`
	FirstMenuMenuBytes      int     `json:"first_menu_menu_bytes"`
	FirstMenuBytesRatio     float64 `json:"first_menu_bytes_ratio"`
	FirstMenuError          string  `json:"first_menu_error,omitempty"`
	// MissingByKind counts needed deliveries that never happened, by
	// event kind and the kind of node that missed it.
	MissingByKind map[string]int `json:"missing_by_kind,omitempty"`

	// Churn repair: per outage, from reconnecting until every event the
	// node needed and missed had arrived; outages never repaired.
	ChurnRepairP50Ms      float64 `json:"churn_repair_p50_ms"`
	ChurnRepairMaxMs      float64 `json:"churn_repair_max_ms"`
	ChurnRepairIncomplete int     `json:"churn_repair_incomplete"`
	// Every sync session of the measured phase (repair, anti-entropy,
	// grafts), bytes received by all nodes, and per event.
	RepairSyncBytes         int     `json:"repair_sync_bytes"`
	RepairSyncBytesPerEvent float64 `json:"repair_sync_bytes_per_event"`

	// The measured catch-up: d events missed (those its session fetched),
	// the session's cost, and how many of the d it needed by the job-board
	// definition (the rest are orders that ended while it was away).
	SyncOfflineMs    int64   `json:"sync_offline_ms"`
	SyncMissedEvents int     `json:"sync_missed_events"`
	SyncNeededEvents int     `json:"sync_needed_events"`
	SyncEventsIn     int     `json:"sync_events_in"`
	SyncEventsOut    int     `json:"sync_events_out"`
	SyncBytes        int     `json:"sync_bytes"`
	SyncEventBytes   int     `json:"sync_event_bytes"`
	SyncRoundTrips   int     `json:"sync_round_trips"`
	SyncBytesLimit   float64 `json:"sync_bytes_limit"`
	SyncError        string  `json:"sync_error,omitempty"`

	ApplyEventsPerSecPerCore float64 `json:"apply_events_per_sec_per_core"`
	ApplyEvents              int     `json:"apply_events"`
	RSSMBPerNode             float64 `json:"rss_mb_per_node"`

	Baseline *Metrics `json:"baseline,omitempty"`
	// BaselineDeployed is plain gossipsub as an application would deploy
	// it: one topic every node subscribes to, default parameters, on a
	// random graph of degree 8 (not this run's graph), replaying the same
	// schedule and outages.
	BaselineDeployed *Metrics `json:"baseline_deployed,omitempty"`
	// The relay and one courier as their own coopnode processes
	// (day.go): their CPU and memory over the run, and a compressed day
	// scaled to a whole one. Only in a -day run.
	RelayCPUShare   float64    `json:"relay_cpu_share,omitempty"`
	RelayRSSMB      float64    `json:"relay_rss_mb,omitempty"`
	CourierCPUShare float64    `json:"courier_cpu_share,omitempty"`
	CourierRSSMB    float64    `json:"courier_rss_mb,omitempty"`
	Day             *DayFigure `json:"day,omitempty"`
	// City is a -coops run's (coops.go); the other figures are then its
	// first coop's.
	City     *CityFigure `json:"city,omitempty"`
	Targets  []Check     `json:"targets"`
	SVG      string      `json:"svg,omitempty"`
	Machine  string      `json:"machine"`
	Date     string      `json:"date"`
	ElapsedS float64     `json:"elapsed_s"`

	// for the picture
	samples, baseSamples []float64
	bytesPerNode         []int64
	baseBytesPerNode     []int64
	depSamples           []float64 // the as-deployed baseline: every node
	depBytesPerNode      []int64
	neededBytesPerNode   []int64
}

// WriteTable prints the result as a human table: the scenario, then
// coopnode and baseline side by side with the targets.
func (r *Result) WriteTable(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "coopnode bench — %s, %d nodes (1 relay, %d restaurants, %d couriers, %d customers), topology %s, mean degree %.1f\n",
		r.Transport, r.Nodes, r.Restaurants, r.Couriers, r.Customers, r.Topology, r.ConnectionDegree)
	fmt.Fprintf(&b, "links %.0f ms one way, bandwidth %s; hop floor %d × %.0f ms = %.0f ms (this graph: %.0f ms median author, %.0f ms worst); %.0f orders/min for %.0f s, churn %.0f%% (%d nodes); seed %d\n",
		r.LinkLatencyMs, bw(r.BandwidthBytesPerS), r.Hops, r.LinkLatencyMs, r.HopFloorMs, r.GraphFloorP50Ms, r.GraphFloorMaxMs, r.OrdersPerMin, r.DurationS, 100*r.Churn, r.ChurnedNodes, r.Seed)
	fmt.Fprintf(&b, "%s, %s; took %.0f s\n\n", r.Machine, r.Date, r.ElapsedS)
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tcoopnode\tbaseline (plain gossipsub)\ttarget\t")
	fmt.Fprintln(tw, "------\t--------\t--------------------------\t------\t")
	bl := r.Baseline
	bv := func(f func(*Metrics) string) string {
		if bl == nil {
			return "-"
		}
		return f(bl)
	}
	g := func(v float64) string { return fmt.Sprintf("%.1f", v) }
	grade := map[string]string{}
	for _, c := range r.Targets {
		mark := "ok"
		if !c.OK {
			mark = "MISS"
		}
		grade[c.Name] = c.Target + "  " + mark
	}
	rows := [][4]string{
		{"events measured", fmt.Sprint(r.Events), bv(func(m *Metrics) string { return fmt.Sprint(m.Events) }), ""},
		{"propagation p50 ms", g(r.PropagationP50Ms), bv(func(m *Metrics) string {
			return g(m.PropagationP50Ms) + " all / " + g(m.PropagationNeededP50Ms) + " same nodes"
		}), grade["propagation_p50_ms"]},
		{"propagation p99 ms", g(r.PropagationP99Ms), bv(func(m *Metrics) string {
			return g(m.PropagationP99Ms) + " all / " + g(m.PropagationNeededP99Ms) + " same nodes"
		}), grade["propagation_p99_ms"]},
		{"propagation max ms", g(r.PropagationMaxMs), bv(func(m *Metrics) string {
			return g(m.PropagationMaxMs) + " all / " + g(m.PropagationNeededMaxMs) + " same nodes"
		}), ""},
		{"  vs baseline (p50, p99)", "", "", grade["p50 vs gossipsub on the same graph"] + "; " + grade["p99 vs gossipsub on the same graph"]},
		{"delivery ratio", fmt.Sprintf("%.5f", r.DeliveryRatio), bv(func(m *Metrics) string { return fmt.Sprintf("%.5f", m.DeliveryRatio) }), grade["delivery_ratio"]},
		{"event bytes S (mean)", g(r.EventBytes), bv(func(m *Metrics) string { return g(m.EventBytes) }), ""},
		{"bytes per event / S (needed + overhead)", fmt.Sprintf("%.2f", r.BytesPerEventRatio), bv(func(m *Metrics) string { return fmt.Sprintf("%.2f", m.BytesPerEventRatio) }), grade["bytes_per_event_ratio"]},
		{"all bytes per needed delivery / S", fmt.Sprintf("%.2f", r.TotalBytesPerEventRatio), bv(func(m *Metrics) string { return fmt.Sprintf("%.2f", m.TotalBytesPerEventRatio) }), ""},
		{"uninterested bytes per event", fmt.Sprintf("%.0f", r.UninterestedBytesPerEvent), bv(func(m *Metrics) string { return fmt.Sprintf("%.0f (coopnode's needs)", m.UninterestedBytesPerEvent) }), grade["uninterested_bytes_per_event"]},
		{"duplicates per delivery", fmt.Sprintf("%.2f", r.DuplicatesPerDelivery), bv(func(m *Metrics) string { return fmt.Sprintf("%.2f", m.DuplicatesPerDelivery) }), ""},
		{"pubsub bytes received (all nodes)", kb(float64(r.PubsubBytesReceived)), bv(func(m *Metrics) string { return kb(float64(m.PubsubBytesReceived)) }), ""},
		{"  of which duplicate copies", pct(r.Bytes.DuplicateCopies, r.PubsubBytesReceived), bv(func(m *Metrics) string { return pct(m.Bytes.DuplicateCopies, m.PubsubBytesReceived) }), ""},
		{"  of which topic names", pct(r.Bytes.TopicNames, r.PubsubBytesReceived), bv(func(m *Metrics) string { return pct(m.Bytes.TopicNames, m.PubsubBytesReceived) }), ""},
		{"needed deliveries that came by sync", fmt.Sprint(r.DeliveriesBySync), "", ""},
		{"mesh hops at start: median / worst author", meshHops(r.Metrics), bv(func(m *Metrics) string { return meshHops(*m) }), ""},
		{"back online → first mesh graft p50 / max ms", g(r.RegraftP50Ms) + " / " + g(r.RegraftMaxMs), bv(func(m *Metrics) string { return g(m.RegraftP50Ms) + " / " + g(m.RegraftMaxMs) }), ""},
		{"CPU busy: this run / other processes", cpuShares(r.Metrics), bv(func(m *Metrics) string { return cpuShares(*m) }), ""},
		{"sync bytes received (all sessions)", kb(float64(r.RepairSyncBytes)), "none (no repair)", ""},
		{"claim resolution p50 / p99 ms", g(r.ClaimResolutionP50Ms) + " / " + g(r.ClaimResolutionP99Ms), "", ""},
		{"plain gossipsub as deployed (random graph, degree 8): p50 / p99 ms, bytes/S, delivery", "", deployed(r.BaselineDeployed), ""},
		{"claim outcome p50 / p99 ms", g(r.ClaimOutcomeP50Ms) + " / " + g(r.ClaimOutcomeP99Ms), "", ""},
		{"  courier connected to the restaurant: claims, p50 / p99 ms", fmt.Sprintf("%d, %s / %s", r.ClaimsConnected, g(r.ClaimOutcomeConnectedP50Ms), g(r.ClaimOutcomeConnectedP99Ms)), "", grade["claim_outcome_connected_p99_ms"]},
		{"  not connected: claims, p50 / p99 ms", fmt.Sprintf("%d, %s / %s", r.ClaimsRelayed, g(r.ClaimOutcomeRelayedP50Ms), g(r.ClaimOutcomeRelayedP99Ms)), "", grade["claim_outcome_relayed_p99_ms"]},
		{"order alert (checkout → restaurant) p50 / p99 ms", g(r.OrderAlertP50Ms) + " / " + g(r.OrderAlertP99Ms), "", grade["order_alert_p99_ms"]},
		{"first menus for a new customer ms", g(r.FirstMenuMs), "", grade["first_menu_ms"]},
		{"  bytes received (by sync) / catalogue (menus alone)", fmt.Sprintf("%d (%d) / %d (%d) = %.2f", r.FirstMenuBytes, r.FirstMenuSyncBytes, r.FirstMenuCatalogueBytes, r.FirstMenuMenuBytes, r.FirstMenuBytesRatio), "", grade["first_menu_bytes"]},
		{"churn repair p50 / max ms", fmt.Sprintf("%s / %s (%d unrepaired)", g(r.ChurnRepairP50Ms), g(r.ChurnRepairMaxMs), r.ChurnRepairIncomplete), "", ""},
		{"catch-up: d fetched (needed), pushed", fmt.Sprintf("%d (%d), %d", r.SyncMissedEvents, r.SyncNeededEvents, r.SyncEventsOut), "", ""},
		{"catch-up round trips", fmt.Sprint(r.SyncRoundTrips), "", grade["sync_round_trips"]},
		{"catch-up bytes (events)", fmt.Sprintf("%d (%d)", r.SyncBytes, r.SyncEventBytes), "", grade["sync_bytes"]},
		{"apply events/s per core", fmt.Sprintf("%.0f", r.ApplyEventsPerSecPerCore), "", grade["apply_events_per_sec_per_core"]},
		{"RSS per node (in-process average)", fmt.Sprintf("%.1f MB", r.RSSMBPerNode), "", ""},
		{"orders placed / delivered", fmt.Sprintf("%d / %d", r.OrdersPlaced, r.OrdersDelivered), "", ""},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", row[0], row[1], row[2], row[3])
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("\n")
	if r.City != nil {
		if err := r.City.write(&b); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	if r.Day != nil {
		if err := r.Day.write(&b); err != nil {
			return err
		}
		b.WriteString("\n")
	}
	if err := writeTargets(&b, r.Targets); err != nil {
		return err
	}
	b.WriteString("\n")
	if r.CPUOtherShare > 0.2 || r.Baseline != nil && r.Baseline.CPUOtherShare > 0.2 {
		b.WriteString("WARNING: other processes kept the CPUs busy during the run; latencies are inflated, rerun on a quiet machine\n")
	}
	if r.SyncError != "" {
		fmt.Fprintf(&b, "catch-up session failed: %s\n", r.SyncError)
	}
	for _, sl := range r.Slowest {
		how := sl.Via
		if sl.Via == "gossip" {
			how = fmt.Sprintf("gossip copy there at %.0f ms", sl.GossipMs)
		}
		fmt.Fprintf(&b, "slow: %s by %s, %.0f ms to reach a %s (%s)\n", sl.Kind, sl.Author, sl.Ms, sl.Last, how)
	}
	if len(r.PubsubDrops) > 0 {
		fmt.Fprintf(&b, "gossipsub drops (coopnode): %v\n", r.PubsubDrops)
	}
	if len(r.MissingByKind) > 0 {
		fmt.Fprintf(&b, "missing deliveries (kind → node): %v\n", r.MissingByKind)
	}
	if r.SVG != "" {
		fmt.Fprintf(&b, "picture: %s\n", r.SVG)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func cpuShares(m Metrics) string {
	if m.CPUOtherShare < 0 {
		return fmt.Sprintf("%.0f%% / ?", 100*m.CPUBusyShare)
	}
	return fmt.Sprintf("%.0f%% / %.0f%%", 100*m.CPUBusyShare, 100*m.CPUOtherShare)
}

func meshHops(m Metrics) string {
	s := fmt.Sprintf("%d / %d", m.MeshHopsP50, m.MeshHopsMax)
	if !m.MeshConnected {
		s += " (mesh split)"
	}
	return s
}

func pct(part, whole int64) string {
	if whole <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f%%", 100*float64(part)/float64(whole))
}

func kb(v float64) string {
	switch {
	case v >= 10<<20:
		return fmt.Sprintf("%.1f MB", v/(1<<20))
	case v >= 10<<10:
		return fmt.Sprintf("%.0f KB", v/(1<<10))
	}
	return fmt.Sprintf("%.0f B", v)
}

func bw(v float64) string {
	if v <= 0 || math.IsInf(v, 0) {
		return "unlimited"
	}
	return kb(v) + "/s"
}

// MarkdownHeader is the header of the README's results table (see
// MarkdownRow).
func MarkdownHeader() string {
	return "| date | machine | nodes | link | hop floor | p50 / p99 ms | plain gossipsub as deployed: p50 / p99 ms, bytes/S | bytes/S | uninterested B/event | delivery | order alert p50 / p99 ms | claim outcome p99 ms (connected / not) | first menus ms, bytes / catalogue | catch-up RTs, bytes | verify+fold events/s/core |\n" +
		"|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
}

// MarkdownRow is one line of the README's results table.
func (r *Result) MarkdownRow() string {
	d := "–"
	if b := r.BaselineDeployed; b != nil {
		d = fmt.Sprintf("%.0f / %.0f, %.2f", b.PropagationP50Ms, b.PropagationP99Ms, b.BytesPerEventRatio)
	}
	cpu := r.Machine
	if i := strings.Index(cpu, " cores"); i > 0 {
		cpu = cpu[:i] + " cores"
	}
	return fmt.Sprintf("| %s | %s | %d | %.0f ms | %.0f ms | %.0f / %.0f | %s | %.2f | %.0f | %.4f | %.0f / %.0f | %.0f / %.0f | %.0f, %.2f | %d, %d B | %.0f |",
		r.Date, cpu, r.Nodes, r.LinkLatencyMs, r.HopFloorMs, r.PropagationP50Ms, r.PropagationP99Ms, d, r.BytesPerEventRatio,
		r.UninterestedBytesPerEvent, r.DeliveryRatio, r.OrderAlertP50Ms, r.OrderAlertP99Ms, r.ClaimOutcomeConnectedP99Ms, r.ClaimOutcomeRelayedP99Ms,
		r.FirstMenuMs, r.FirstMenuBytesRatio, r.SyncRoundTrips, r.SyncBytes, r.ApplyEventsPerSecPerCore)
}

// deployed summarises the as-deployed baseline for the table.
func deployed(m *Metrics) string {
	if m == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f / %.1f (same nodes: %.1f / %.1f), %.2f, %.5f", m.PropagationP50Ms, m.PropagationP99Ms,
		m.PropagationNeededP50Ms, m.PropagationNeededP99Ms, m.BytesPerEventRatio, m.DeliveryRatio)
}
