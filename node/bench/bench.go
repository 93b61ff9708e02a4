package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/coopnode/coopnode/protocol"

	"github.com/coopnode/coopnode/node/sim"
)

// Run simulates the coop described by cfg, measures it, then (if
// cfg.Baseline) replays the same schedule on plain gossipsub, and returns
// both side by side with the targets graded. Every node, host and
// goroutine it started is stopped before it returns.
func Run(ctx context.Context, cfg Config) (*Result, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Coops > 0 {
		return runCity(ctx, cfg)
	}
	start := cfg.Now()
	res := newResult(cfg, start)
	r := newCoopRun(ctx, cfg)
	defer r.cancel(nil)
	rss := startRSS(250 * time.Millisecond)
	err = r.setup()
	var day *dayMeter
	if err == nil {
		day, err = r.idle()
	}
	if err == nil {
		err = r.drive()
	}
	if err == nil && day != nil {
		if err = day.read(r, 2); err == nil {
			res.setDay(day.figure(cfg, r.placed))
		}
	}
	peak := rss.end()
	if err != nil {
		r.shutdown()
		return nil, err
	}
	ms := r.finish(res)
	o, raws, topic, t0, g := ms.o, ms.raws, ms.topic, ms.t0, ms.g
	res.RSSMBPerNode = float64(peak) / (1 << 20) / float64(cfg.Nodes)
	fmt.Fprintf(cfg.Log, "bench: coopnode: p50 %.0f ms, p99 %.0f ms, delivery %.4f, %.2f×S\n",
		res.PropagationP50Ms, res.PropagationP99Ms, res.DeliveryRatio, res.BytesPerEventRatio)

	if cfg.Baseline {
		fmt.Fprintf(cfg.Log, "bench: baseline: plain gossipsub, %d messages on the same schedule\n", len(o.recs))
		m, bn, ba, err := baseline(ctx, cfg, planFrom(o, g, t0, topic))
		if err != nil {
			return nil, err
		}
		res.Baseline = m
		res.baseSamples = msSlice(bn.samples)
		res.baseBytesPerNode = ba.bytesPerNode
	}
	if cfg.BaselineDeployed {
		dg := buildGraph(cfg.Nodes, 8, rand.New(rand.NewSource(cfg.Seed*31+11)))
		fmt.Fprintf(cfg.Log, "bench: baseline as deployed: plain gossipsub on a random graph of degree 8\n")
		m, _, ba, err := baseline(ctx, cfg, planFrom(o, dg, t0, topic))
		if err != nil {
			return nil, err
		}
		res.BaselineDeployed = m
		res.depSamples, res.depBytesPerNode = msSlice(ba.samples), ba.bytesPerNode
	}

	rate, k, err := applyRate(raws, time.Second, cfg.Now)
	if err != nil {
		return nil, err
	}
	res.ApplyEventsPerSecPerCore, res.ApplyEvents = rate, k
	res.Targets = res.checks()
	res.ElapsedS = cfg.Now().Sub(start).Seconds()
	return res, nil
}

// newResult is a result with the scenario's figures filled in.
func newResult(cfg Config, start time.Time) *Result {
	res := &Result{
		Transport: "mocknet", Nodes: cfg.Nodes, Relays: 1, Restaurants: cfg.Restaurants, Couriers: cfg.Couriers,
		Customers: cfg.Customers, LinkLatencyMs: sim.Ms(cfg.Latency), BandwidthBytesPerS: cfg.Bandwidth,
		Hops: HopFloor(cfg.Nodes), OrdersPerMin: cfg.OrdersPerMin, DurationS: cfg.Duration.Seconds(),
		Churn: cfg.Churn, Seed: cfg.Seed, Machine: machine(), Date: start.Format("2006-01-02"), Topology: cfg.Topology(),
	}
	if cfg.Loopback {
		res.Transport = "loopback TCP"
	}
	res.HopFloorMs = float64(res.Hops) * res.LinkLatencyMs
	return res
}

// measured is what a finished coop run hands on to the baselines.
type measured struct {
	o     *observation
	raws  [][]byte
	topic string
	t0    time.Time
	g     graph
}

// finish measures a new customer's first menus, then stops every node and
// fills res with the run's figures.
func (r *coopRun) finish(res *Result) measured {
	fm, ferr := r.firstMenu()
	o := r.observe()
	a := analyze(o)
	repair := r.syncBytes() - r.syncBytes0
	_, all := r.raw.all()
	var raws [][]byte // events only: a city's coop cards are not
	for _, d := range all {
		if _, err := protocol.ID(d); err == nil {
			raws = append(raws, d)
		}
	}
	ms := measured{o: o, raws: raws, topic: protocol.TopicOrders(r.coop), t0: r.t0, g: r.g}
	r.shutdown()
	r.fill(res, o, a, repair)
	res.setFirstMenu(fm, ferr)
	return ms
}

// baseline runs plain gossipsub on plan and returns its figures.
func baseline(ctx context.Context, cfg Config, plan basePlan) (*Metrics, analysis, analysis, error) {
	all, needed, bcpu, bmesh, err := runBaseline(ctx, cfg, plan)
	if err != nil {
		return nil, analysis{}, analysis{}, err
	}
	ba, bn := analyze(all), analyze(needed)
	m := ba.m
	m.CPUBusyShare, m.CPUOtherShare = bcpu[0], bcpu[1]
	m.MeshHopsP50, m.MeshHopsMax, m.MeshConnected = bmesh[0], bmesh[1], bmesh[2] == 1
	m.PropagationNeededP50Ms, m.PropagationNeededP99Ms, m.PropagationNeededMaxMs = bn.m.PropagationP50Ms, bn.m.PropagationP99Ms, bn.m.PropagationMaxMs
	m.UninterestedBytesPerEvent, m.UninterestedShare = bn.m.UninterestedBytesPerEvent, bn.m.UninterestedShare
	return &m, bn, ba, nil
}

// fill copies the coopnode run's figures into res.
func (r *coopRun) fill(res *Result, o *observation, a analysis, repair int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	res.Metrics = a.m
	res.BySyncByNode = a.bySync
	res.CPUBusyShare, res.CPUOtherShare = r.cpu, r.cpuOther
	res.MeshHopsP50, res.MeshHopsMax, res.MeshConnected = r.mesh[0], r.mesh[1], r.mesh[2] == 1
	res.ConnectionDegree = r.g.meanDegree()
	ecc := r.g.eccentricities()
	slices.Sort(ecc)
	if len(ecc) > 0 {
		res.GraphFloorP50Ms = float64(ecc[len(ecc)/2]) * res.LinkLatencyMs
		res.GraphFloorMaxMs = float64(ecc[len(ecc)-1]) * res.LinkLatencyMs
	}
	res.samples, res.bytesPerNode, res.neededBytesPerNode = msSlice(a.samples), a.bytesPerNode, a.neededBytes
	if len(a.missing) > 0 {
		res.MissingByKind = a.missing
	}
	res.OrdersPlaced, res.OrdersDelivered = r.placed, r.delivered
	waits := slices.Clone(r.claimWaits)
	slices.Sort(waits)
	res.Claims = len(waits)
	res.ClaimResolutionP50Ms, res.ClaimResolutionP99Ms = sim.PercentileMs(waits, 50), sim.PercentileMs(waits, 99)
	outcomes := slices.Clone(r.claimOutcomes)
	slices.Sort(outcomes)
	res.ClaimOutcomeP50Ms, res.ClaimOutcomeP99Ms = sim.PercentileMs(outcomes, 50), sim.PercentileMs(outcomes, 99)
	for _, c := range []struct {
		ds       []time.Duration
		n        *int
		p50, p99 *float64
	}{{r.claimDirect, &res.ClaimsConnected, &res.ClaimOutcomeConnectedP50Ms, &res.ClaimOutcomeConnectedP99Ms},
		{r.claimRelayed, &res.ClaimsRelayed, &res.ClaimOutcomeRelayedP50Ms, &res.ClaimOutcomeRelayedP99Ms}} {
		ds := slices.Clone(c.ds)
		slices.Sort(ds)
		*c.n, *c.p50, *c.p99 = len(ds), sim.PercentileMs(ds, 50), sim.PercentileMs(ds, 99)
	}
	var alerts []time.Duration
	for id, oi := range r.orders {
		if at := r.arr[oi.restaurant][id]; !at.IsZero() && !oi.checkout.IsZero() {
			alerts = append(alerts, at.Sub(oi.checkout))
		}
	}
	slices.Sort(alerts)
	res.OrderAlertP50Ms, res.OrderAlertP99Ms = sim.PercentileMs(alerts, 50), sim.PercentileMs(alerts, 99)
	for _, c := range r.churned {
		if c {
			res.ChurnedNodes++
		}
	}
	res.ChurnRepairP50Ms, res.ChurnRepairMaxMs = sim.PercentileMs(a.repair, 50), sim.PercentileMs(a.repair, 100)
	res.ChurnRepairIncomplete = a.repairMissed
	res.RepairSyncBytes = repair
	if len(o.recs) > 0 {
		res.RepairSyncBytesPerEvent = float64(repair) / float64(len(o.recs))
	}

	f := r.sync
	res.SyncOfflineMs = f.to.Sub(f.from).Milliseconds()
	if f.err != nil {
		res.SyncError = f.err.Error()
	}
	// d is what the session fetched: the events the courier lacked that
	// its sync interest selects; S their mean size. The bytes the courier
	// pushed (events its peer lacked) count against the target, not in it.
	res.SyncMissedEvents, res.SyncEventsIn, res.SyncEventsOut = f.rep.EventsIn, f.rep.EventsIn, f.rep.EventsOut
	res.SyncBytes, res.SyncEventBytes, res.SyncRoundTrips = f.rep.BytesIn+f.rep.BytesOut, f.rep.EventBytes, f.rep.RoundTrips
	dS := 0.0
	if moved := f.rep.EventsIn + f.rep.EventsOut; moved > 0 {
		dS = float64(f.rep.EventBytes) * float64(f.rep.EventsIn) / float64(moved)
	}
	res.SyncBytesLimit = 1.1*dS + 2048
	// for comparison: the events it needed by the job-board definition
	// (published while it was away, in orders still open when it came back)
	s := r.syncCourier.i
	for _, rec := range o.recs {
		if rec.pub.Before(f.from) || !rec.pub.Before(f.to) || !slices.Contains(rec.needs, s) {
			continue
		}
		if at := rec.arr[s]; at.IsZero() || !at.Before(f.to) {
			res.SyncNeededEvents++
		}
	}
}

func msSlice(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = sim.Ms(d)
	}
	return out
}

// machine describes where the run happened.
func machine() string {
	cpu := ""
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		sc := bufio.NewScanner(bytes.NewReader(b))
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				cpu = strings.TrimSpace(v) + ", "
				break
			}
		}
	}
	return fmt.Sprintf("%s%d cores (GOMAXPROCS %d), %s/%s, %s", cpu, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
}
