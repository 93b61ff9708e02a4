package bench

import (
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/node"
)

// DayFigure is a compressed day (a -day run): the relay and one courier
// run as their own coopnode processes, so their CPU time and memory are
// the kernel's account of that process alone (/proc/PID/stat and status),
// not a share of the harness's process.
type DayFigure struct {
	Orders       int        `json:"orders"`         // orders placed in the compressed day
	OrdersPerMin float64    `json:"orders_per_min"` // their rate
	BusyS        float64    `json:"busy_s"`         // the measured phase (orders and drain), wall seconds
	IdleS        float64    `json:"idle_s"`         // the idle window before it, wall seconds
	OrdersPerDay int        `json:"orders_per_day"` // the day it is scaled to
	Relay        ProcFigure `json:"relay"`
	Courier      ProcFigure `json:"courier"`
}

// ProcFigure is one node process over a compressed day.
type ProcFigure struct {
	Role string `json:"role"`
	// CPUShare is its CPU time (user + system) over the measured phase,
	// as a share of one core; IdleCPUShare the same over the idle window.
	CPUShare     float64 `json:"cpu_share"`
	IdleCPUShare float64 `json:"idle_cpu_share"`
	// CPUSecondsPerOrder is the busy CPU time above the idle rate, per
	// order placed.
	CPUSecondsPerOrder float64 `json:"cpu_seconds_per_order"`
	// DayCPUShare is a whole day at OrdersPerDay: the idle rate all day
	// plus CPUSecondsPerOrder × OrdersPerDay, over 86,400 s.
	DayCPUShare float64 `json:"day_cpu_share"`
	RSSMB       float64 `json:"rss_mb"`      // resident at the end (VmRSS)
	PeakRSSMB   float64 `json:"peak_rss_mb"` // the process's peak (VmHWM)
	// AnonRSSMB is the part of RSSMB that is the process's own memory
	// (RssAnon: heap, stacks), not pages of the executable it maps.
	AnonRSSMB float64 `json:"anon_rss_mb"`
}

// write prints the day's figures.
func (d *DayFigure) write(w io.Writer) error {
	_, err := fmt.Fprintf(w, "compressed day: %d orders at %.0f/min (%.0f s busy, %.0f s idle before), scaled to %d orders a day\n",
		d.Orders, d.OrdersPerMin, d.BusyS, d.IdleS, d.OrdersPerDay)
	if err != nil {
		return err
	}
	for _, p := range []ProcFigure{d.Relay, d.Courier} {
		if _, err := fmt.Fprintf(w, "  %s process: CPU %.2f%% of a core busy, %.3f%% idle, %.1f ms per order → %.3f%% of a core over the day; RSS %.1f MB (peak %.1f MB, own memory %.1f MB)\n",
			p.Role, 100*p.CPUShare, 100*p.IdleCPUShare, 1000*p.CPUSecondsPerOrder, 100*p.DayCPUShare, p.RSSMB, p.PeakRSSMB, p.AnonRSSMB); err != nil {
			return err
		}
	}
	return nil
}

// startProcs starts the relay and one more courier as processes (with
// Config.ProcExe): the relay with its admin's invite, the courier with
// the relay's; the admin's node then dials the relay. The courier process
// is on shift and follows the job board but claims nothing.
func (r *coopRun) startProcs() error {
	if r.cfg.ProcExe == "" {
		return nil
	}
	p, err := startProc(r.ctx, r.cfg.ProcExe, node.RoleRelay, r.relay.n.Invite().String())
	if err != nil {
		return err
	}
	r.procRelay = p
	ai, err := peer.AddrInfosFromP2pAddrs(p.addrs...)
	if err != nil || len(ai) != 1 {
		return fmt.Errorf("bench: the relay process's addresses %v: %v", p.addrs, err)
	}
	if err := r.relay.n.Connect(r.ctx, ai[0]); err != nil {
		return err
	}
	c, err := startProc(r.ctx, r.cfg.ProcExe, node.RoleCourier, r.invite().String())
	if err != nil {
		return err
	}
	r.procCourier = c
	r.logf("relay process %d and courier process %d up (%s)", p.cmd.Process.Pid, c.cmd.Process.Pid, r.cfg.ProcExe)
	return nil
}

func (r *coopRun) stopProcs() {
	for _, p := range []*procNode{r.procCourier, r.procRelay} {
		if p != nil {
			p.stop()
		}
	}
}

// bootstrap is what an invite gives a member: the relay's addresses.
func (r *coopRun) bootstrap() []multiaddr.Multiaddr {
	if r.procRelay != nil {
		return r.procRelay.addrs
	}
	return r.relay.n.Addrs()
}

// invite is the relay's invite.
func (r *coopRun) invite() node.Invite {
	if r.procRelay != nil {
		return node.Invite{Coop: r.coop, Bootstrap: r.procRelay.addrs}
	}
	return r.relay.n.Invite()
}

// dayMeter reads the processes' accounts at the idle window's start, at
// its end (the measured phase's start) and at the measured phase's end.
type dayMeter struct {
	at    [3]time.Time
	relay [3]procUsage
	cour  [3]procUsage
}

func (d *dayMeter) read(r *coopRun, k int) error {
	var err1, err2 error
	d.at[k] = r.now()
	d.relay[k], err1 = r.procRelay.usage()
	d.cour[k], err2 = r.procCourier.usage()
	return errors.Join(err1, err2)
}

// idle measures the processes over Config.Idle of a coop with nothing
// going on (gossip heartbeats, role links, anti-entropy).
func (r *coopRun) idle() (*dayMeter, error) {
	if r.procRelay == nil {
		return nil, nil
	}
	d := &dayMeter{}
	if err := d.read(r, 0); err != nil {
		return nil, err
	}
	r.logf("idle window: %v", r.cfg.Idle)
	if err := r.sleep(r.cfg.Idle); err != nil {
		return nil, err
	}
	return d, d.read(r, 1)
}

// figure turns the three readings into the day's figures, scaled to
// Config.OrdersPerDay.
func (d *dayMeter) figure(cfg Config, orders int) *DayFigure {
	idleS, busyS := d.at[1].Sub(d.at[0]).Seconds(), d.at[2].Sub(d.at[1]).Seconds()
	f := &DayFigure{Orders: orders, OrdersPerMin: cfg.OrdersPerMin, BusyS: busyS, IdleS: idleS, OrdersPerDay: cfg.OrdersPerDay}
	one := func(role string, u [3]procUsage) ProcFigure {
		p := ProcFigure{Role: role, RSSMB: float64(u[2].rss) / (1 << 20), PeakRSSMB: float64(u[2].peak) / (1 << 20), AnonRSSMB: float64(u[2].anon) / (1 << 20)}
		idle, busy := (u[1].cpu - u[0].cpu).Seconds(), (u[2].cpu - u[1].cpu).Seconds()
		if idleS > 0 {
			p.IdleCPUShare = idle / idleS
		}
		if busyS > 0 {
			p.CPUShare = busy / busyS
		}
		if orders > 0 {
			p.CPUSecondsPerOrder = max(0, busy-p.IdleCPUShare*busyS) / float64(orders)
		}
		p.DayCPUShare = p.IdleCPUShare + p.CPUSecondsPerOrder*float64(cfg.OrdersPerDay)/86400
		return p
	}
	f.Relay, f.Courier = one("relay", d.relay), one("courier", d.cour)
	return f
}

// setDay copies the day's figures into the result.
func (res *Result) setDay(f *DayFigure) {
	res.Day = f
	res.RelayCPUShare, res.RelayRSSMB = f.Relay.CPUShare, f.Relay.PeakRSSMB
	res.CourierCPUShare, res.CourierRSSMB = f.Courier.CPUShare, f.Courier.PeakRSSMB
}
