package bench

import (
	"fmt"
	"io"
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
}

// write prints the day's figures.
func (d *DayFigure) write(w io.Writer) error {
	_, err := fmt.Fprintf(w, "compressed day: %d orders at %.0f/min (%.0f s busy, %.0f s idle before), scaled to %d orders a day\n",
		d.Orders, d.OrdersPerMin, d.BusyS, d.IdleS, d.OrdersPerDay)
	if err != nil {
		return err
	}
	for _, p := range []ProcFigure{d.Relay, d.Courier} {
		if _, err := fmt.Fprintf(w, "  %s process: CPU %.2f%% of a core busy, %.3f%% idle, %.1f ms per order → %.3f%% of a core over the day; RSS %.1f MB (peak %.1f MB)\n",
			p.Role, 100*p.CPUShare, 100*p.IdleCPUShare, 1000*p.CPUSecondsPerOrder, 100*p.DayCPUShare, p.RSSMB, p.PeakRSSMB); err != nil {
			return err
		}
	}
	return nil
}
