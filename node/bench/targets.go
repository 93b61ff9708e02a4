package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// checks grades the run against every target of issues 7 and 18 (default
// scenario, the node's own topology). A target this run did not measure
// is listed as "not measured", naming the run that does.
func (r *Result) checks() []Check {
	f := func(v float64) string { return fmt.Sprintf("%.4g", v) }
	var cs []Check
	add := func(name, value, target string, ok bool) {
		st := "missed"
		if ok {
			st = "met"
		}
		cs = append(cs, Check{Name: name, Value: value, Target: target, OK: ok, Status: st})
	}
	skip := func(name, why, target string) {
		cs = append(cs, Check{Name: name, Value: why, Target: target, Status: "not measured"})
	}
	floor, l := r.HopFloorMs, r.LinkLatencyMs
	if floor <= 0 {
		skip("propagation, order alert and claim outcome against the hop floor", "links without latency (loopback): no floor", "the default scenario's 40 ms links")
	}
	if floor > 0 {
		add("propagation_p50_ms", f(r.PropagationP50Ms), fmt.Sprintf("≤ 1.1 × hop floor = %s", f(1.1*floor)), r.PropagationP50Ms <= 1.1*floor)
		add("propagation_p99_ms", f(r.PropagationP99Ms), fmt.Sprintf("≤ 1.5 × hop floor = %s", f(1.5*floor)), r.PropagationP99Ms <= 1.5*floor)
	}
	if b := r.BaselineDeployed; b != nil {
		add("p50 vs gossipsub as deployed", f(r.PropagationP50Ms), fmt.Sprintf("≤ deployed baseline %s", f(b.PropagationP50Ms)), r.PropagationP50Ms <= b.PropagationP50Ms)
		add("p99 vs gossipsub as deployed", f(r.PropagationP99Ms), fmt.Sprintf("≤ deployed baseline %s", f(b.PropagationP99Ms)), r.PropagationP99Ms <= b.PropagationP99Ms)
	} else {
		skip("p50/p99 vs gossipsub as deployed", "run with -baseline-deployed", "≤ deployed baseline")
	}
	if b := r.Baseline; b != nil {
		add("p50 vs gossipsub on the same graph", f(r.PropagationP50Ms), fmt.Sprintf("≤ baseline %s (same nodes)", f(b.PropagationNeededP50Ms)), r.PropagationP50Ms <= b.PropagationNeededP50Ms)
		add("p99 vs gossipsub on the same graph", f(r.PropagationP99Ms), fmt.Sprintf("≤ baseline %s (same nodes)", f(b.PropagationNeededP99Ms)), r.PropagationP99Ms <= b.PropagationNeededP99Ms)
	}
	add("bytes_per_event_ratio", f(r.BytesPerEventRatio), "≤ 2.5", r.BytesPerEventRatio <= 2.5)
	if b := r.BaselineDeployed; b != nil {
		add("bytes vs gossipsub as deployed", f(r.BytesPerEventRatio), fmt.Sprintf("≤ ⅓ × deployed baseline %s = %s", f(b.BytesPerEventRatio), f(b.BytesPerEventRatio/3)), r.BytesPerEventRatio <= b.BytesPerEventRatio/3)
	}
	add("uninterested_bytes_per_event", f(r.UninterestedBytesPerEvent), fmt.Sprintf("≤ 5%% of S = %s", f(0.05*r.EventBytes)), r.UninterestedBytesPerEvent <= 0.05*r.EventBytes)
	if floor > 0 && r.OrdersPlaced > 0 {
		add("order_alert_p99_ms", f(r.OrderAlertP99Ms), fmt.Sprintf("≤ 2 × hop floor = %s", f(2*floor)), r.OrderAlertP99Ms <= 2*floor)
	}
	switch {
	case floor <= 0: // graded against the floor only
	case r.ClaimsConnected > 0:
		add("claim_outcome_connected_p99_ms", f(r.ClaimOutcomeConnectedP99Ms), fmt.Sprintf("≤ 2 L + 20 ms = %s (%d claims, courier connected to the restaurant)", f(2*l+20), r.ClaimsConnected), r.ClaimOutcomeConnectedP99Ms <= 2*l+20)
	default:
		skip("claim_outcome_connected_p99_ms", "no claim by a courier connected to the restaurant", fmt.Sprintf("≤ 2 L + 20 ms = %s", f(2*l+20)))
	}
	switch {
	case floor <= 0: // graded against the floor only
	case r.ClaimsRelayed > 0:
		add("claim_outcome_relayed_p99_ms", f(r.ClaimOutcomeRelayedP99Ms), fmt.Sprintf("≤ hop floor + 2 L = %s (%d claims, not connected)", f(floor+2*l), r.ClaimsRelayed), r.ClaimOutcomeRelayedP99Ms <= floor+2*l)
	default:
		skip("claim_outcome_relayed_p99_ms", "every claim was by a courier connected to the restaurant", fmt.Sprintf("≤ hop floor + 2 L = %s", f(floor+2*l)))
	}
	if r.FirstMenuError == "" && r.FirstMenuMs > 0 {
		add("first_menu_ms", f(r.FirstMenuMs), "≤ 1000", r.FirstMenuMs <= 1000)
		if r.FirstMenuBytes >= 0 && r.FirstMenuCatalogueBytes > 0 {
			add("first_menu_bytes", fmt.Sprint(r.FirstMenuBytes), fmt.Sprintf("≤ 1.2 × catalogue %d B = %.0f (ratio %.2f)", r.FirstMenuCatalogueBytes, 1.2*float64(r.FirstMenuCatalogueBytes), r.FirstMenuBytesRatio),
				float64(r.FirstMenuBytes) <= 1.2*float64(r.FirstMenuCatalogueBytes))
		}
	} else {
		why := "not run"
		if r.FirstMenuError != "" {
			why = "failed: " + r.FirstMenuError
		}
		skip("first_menu_ms, first_menu_bytes", why, "≤ 1000 ms, ≤ 1.2 × the menus' size")
	}
	if d := r.Day; d != nil {
		add("relay_day_cpu_share", fmt.Sprintf("%.4f", d.Relay.DayCPUShare), fmt.Sprintf("≤ 1%% of one core at %d orders a day", d.OrdersPerDay), d.Relay.DayCPUShare <= 0.01)
		add("relay_rss_mb", fmt.Sprintf("%.1f", d.Relay.PeakRSSMB), "≤ 50 MB (peak)", d.Relay.PeakRSSMB <= 50)
	} else {
		skip("relay_day_cpu_share, relay_rss_mb", "coopnode bench -day (relay in its own process)", "≤ 1% of one core, ≤ 50 MB RSS at 200 orders a day")
	}
	add("delivery_ratio", fmt.Sprintf("%.5f", r.DeliveryRatio), "= 1.0 under churn", r.DeliveryRatio == 1)
	add("sync_round_trips", fmt.Sprint(r.SyncRoundTrips), "≤ 2", r.SyncError == "" && r.SyncRoundTrips <= 2)
	add("sync_bytes", fmt.Sprint(r.SyncBytes), fmt.Sprintf("≤ 1.1·d·S + 2 KB = %.0f", r.SyncBytesLimit), r.SyncError == "" && float64(r.SyncBytes) <= r.SyncBytesLimit)
	add("apply_events_per_sec_per_core", fmt.Sprintf("%.0f", r.ApplyEventsPerSecPerCore), "≥ 15000", r.ApplyEventsPerSecPerCore >= 15000)
	return cs
}

// writeTargets prints the targets table: measured, target, met.
func writeTargets(w io.Writer, cs []Check) error {
	var b strings.Builder
	b.WriteString("targets (issues 7 and 18)\n")
	tw := tabwriter.NewWriter(&b, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "target\tmeasured\twanted\tmet\t")
	fmt.Fprintln(tw, "------\t--------\t------\t---\t")
	met, missed := 0, 0
	for _, c := range cs {
		mark := "no"
		switch c.Status {
		case "met":
			mark, met = "yes", met+1
		case "not measured":
			mark = "-"
		default:
			missed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t\n", c.Name, c.Value, c.Target, mark)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(&b, "%d met, %d missed, %d not measured in this run\n", met, missed, len(cs)-met-missed)
	_, err := io.WriteString(w, b.String())
	return err
}
