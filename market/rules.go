package market

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Pricing rules (SPEC.md §16.3): the coop's versioned rule set, the
// delivery fee it gives a job, and an explanation of how the fee came out,
// or of why no rule matched.

// Rules is a compiled rule set: its payload, checked, and the coop's zone.
type Rules struct {
	Set *crdt.RulesSet // read-only
	Loc *time.Location // the coop's zone: time-of-day conditions use it
}

// Compile checks a rule set (crdt.RulesSet.Problem) and loads its time
// zone, the coop's ("" = UTC). Errors wrap ErrBadRules or ErrBadTimezone.
func Compile(set *crdt.RulesSet, timezone string) (*Rules, error) {
	if p := set.Problem(); p != "" {
		return nil, fmt.Errorf("%w: %s", ErrBadRules, p)
	}
	loc, err := LoadLocation(timezone)
	if err != nil {
		return nil, err
	}
	return &Rules{Set: set, Loc: loc}, nil
}

// RulesFor compiles the coop's rule set of the given version, or its
// latest when version is 0. ErrNoRules: the coop has none;
// ErrUnknownRulesVersion: not that version.
func RulesFor(coop *crdt.CoopState, version uint64) (*Rules, error) {
	if coop == nil {
		return nil, fmt.Errorf("%w: no coop state", ErrNoRules)
	}
	var set *crdt.RulesSet
	var ok bool
	if version == 0 {
		if set, ok = coop.LatestRules(); !ok {
			return nil, fmt.Errorf("%w: the coop has published none", ErrNoRules)
		}
	} else if set, ok = coop.RulesAt(version); !ok {
		return nil, fmt.Errorf("%w: %d", ErrUnknownRulesVersion, version)
	}
	return Compile(set, coop.Timezone)
}

// Version is the rule set's version.
func (r *Rules) Version() uint64 { return r.Set.Version }

// Zone returns the named zone, or nil.
func (r *Rules) Zone(name string) *crdt.Zone {
	for i := range r.Set.Zones {
		if r.Set.Zones[i].Name == name {
			return &r.Set.Zones[i]
		}
	}
	return nil
}

// ZonesAt returns the names of the zones containing p, in rule-set order:
// what an order records as a pricing input.
func (r *Rules) ZonesAt(p crdt.Position) []string {
	var out []string
	for i := range r.Set.Zones {
		if InZone(&r.Set.Zones[i], p) {
			out = append(out, r.Set.Zones[i].Name)
		}
	}
	return out
}

// ServiceZone is the zone a restaurant's dropoffs must lie in: the
// profile's delivery zone if it names one of the rule set's zones, else the
// rule set's service zone ("" = anywhere).
func (r *Rules) ServiceZone(p *crdt.CatalogProfile) string {
	if p != nil && p.DeliveryZone != "" && r.Zone(p.DeliveryZone) != nil {
		return p.DeliveryZone
	}
	return r.Set.ServiceZone
}

// BillingDistance is the distance used for prices and pay: the straight
// line plus the detour, d + d × DetourBps / 10000 rounded half up.
func (r *Rules) BillingDistance(straightM uint64) (uint32, error) {
	d := int64(min(straightM, 1<<40))
	extra, _ := bpsOf(d, r.Set.DetourBps)
	if d+extra > 1<<32-1 {
		return 0, fmt.Errorf("%w: distance %d m", ErrAmountRange, d+extra)
	}
	return uint32(d + extra), nil
}

// Job is what the delivery fee depends on: every input is recorded in the
// order.place, so that any node can re-price it (SPEC.md §16.3.2).
type Job struct {
	Target       uint8      `json:"target"`     // crdt.TargetFood or crdt.TargetParcel
	DistanceM    uint32     `json:"distance_m"` // billing distance
	PickupZones  []string   `json:"pickup_zones,omitempty"`
	DropoffZones [][]string `json:"dropoff_zones"` // one entry per dropoff
	ItemsCents   int64      `json:"items_cents,omitempty"`
	WeightG      uint64     `json:"weight_g,omitempty"`
	Packages     uint64     `json:"packages,omitempty"`
	At           time.Time  `json:"at"` // the order's reference time
}

// Explanation is how a delivery fee came out (SPEC.md §16.3.5): every
// rule, whether it was tried, which of its conditions failed, how a
// matching rule's price was built, and the total.
type Explanation struct {
	Version  uint64      `json:"version"`
	Strategy string      `json:"strategy"` // "find" or "map"
	Inputs   []string    `json:"inputs"`
	Rules    []RuleTrace `json:"rules"`
	Matched  []int       `json:"matched,omitempty"` // 1-based indexes of the rules used
	FeeCents int64       `json:"fee_cents"`
	Summary  string      `json:"summary"`
}

// RuleTrace is one rule's part in an explanation.
type RuleTrace struct {
	Index   int      `json:"index"` // 1-based
	Name    string   `json:"name,omitempty"`
	Tried   bool     `json:"tried"` // false: "find" stopped at an earlier rule
	Matched bool     `json:"matched"`
	Failed  []string `json:"failed,omitempty"` // every condition that did not hold
	Parts   []string `json:"parts,omitempty"`  // how its price was built
	Cents   int64    `json:"cents"`
}

// String renders the explanation for people, one line per rule.
func (e *Explanation) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rules v%d (%s): %s\n", e.Version, e.Strategy, strings.Join(e.Inputs, "; "))
	for _, t := range e.Rules {
		name := ""
		if t.Name != "" {
			name = " " + strconv.Quote(t.Name)
		}
		switch {
		case !t.Tried:
			fmt.Fprintf(&b, "  rule %d%s: not tried\n", t.Index, name)
		case t.Matched:
			fmt.Fprintf(&b, "  rule %d%s: matched, %s = %s\n", t.Index, name, strings.Join(t.Parts, " + "), Cents(t.Cents))
		default:
			fmt.Fprintf(&b, "  rule %d%s: no, %s\n", t.Index, name, strings.Join(t.Failed, "; "))
		}
	}
	b.WriteString("  " + e.Summary)
	return b.String()
}

func strategyName(s uint8) string {
	if s == crdt.StrategyMap {
		return "map"
	}
	return "find"
}

// DeliveryFee evaluates the rules for a job (SPEC.md §16.3.3): with
// "find" the first matching rule's price, with "map" the sum of the prices
// of all matching rules; a negative result is 0. When no rule matches the
// error is a *Refusal wrapping ErrNoRuleMatched with the explanation.
func (r *Rules) DeliveryFee(j Job) (*Explanation, error) {
	e := &Explanation{Version: r.Set.Version, Strategy: strategyName(r.Set.Strategy), Inputs: r.inputs(&j)}
	var total int64
	for i := range r.Set.Rules {
		rule := &r.Set.Rules[i]
		t := RuleTrace{Index: i + 1, Name: rule.Name}
		if r.Set.Strategy == crdt.StrategyFind && len(e.Matched) > 0 {
			e.Rules = append(e.Rules, t)
			continue
		}
		t.Tried = true
		t.Failed = r.failures(rule, &j)
		if len(t.Failed) == 0 {
			cents, parts, err := price(rule, &j)
			if err != nil {
				return e, fmt.Errorf("%w: rule %d: %v", ErrAmountRange, i+1, err)
			}
			var ok bool
			if total, ok = add(total, cents); !ok {
				return e, fmt.Errorf("%w: the sum of the rules overflows", ErrAmountRange)
			}
			t.Matched, t.Cents, t.Parts = true, cents, parts
			e.Matched = append(e.Matched, i+1)
		}
		e.Rules = append(e.Rules, t)
	}
	if len(e.Matched) == 0 {
		e.Summary = "no rule matched"
		if len(r.Set.Rules) == 0 {
			e.Summary = "no rule matched: the rule set has no rules"
		}
		return e, &Refusal{Err: ErrNoRuleMatched, Detail: whyNot(e), Explanation: e}
	}
	idx := make([]string, len(e.Matched))
	for i, m := range e.Matched {
		idx[i] = strconv.Itoa(m)
	}
	if r.Set.Strategy == crdt.StrategyFind {
		e.Summary = fmt.Sprintf("first matching rule %s: fee %s", idx[0], Cents(total))
	} else {
		e.Summary = fmt.Sprintf("sum of rules %s: fee %s", strings.Join(idx, ", "), Cents(total))
	}
	if total < 0 {
		e.Summary += ", below zero: fee 0.00"
		total = 0
	}
	e.FeeCents = total
	return e, nil
}

// whyNot is the one-line reason of ErrNoRuleMatched.
func whyNot(e *Explanation) string {
	if len(e.Rules) == 0 {
		return "the rule set (v" + strconv.FormatUint(e.Version, 10) + ") has no rules"
	}
	var parts []string
	for _, t := range e.Rules {
		parts = append(parts, fmt.Sprintf("rule %d: %s", t.Index, strings.Join(t.Failed, ", ")))
	}
	return strings.Join(parts, "; ")
}

func (r *Rules) inputs(j *Job) []string {
	target := "food delivery"
	if j.Target == crdt.TargetParcel {
		target = "parcel delivery"
	}
	in := []string{target, fmt.Sprintf("distance %d m", j.DistanceM)}
	for i, zs := range j.DropoffZones {
		label := "dropoff"
		if len(j.DropoffZones) > 1 {
			label = "dropoff " + strconv.Itoa(i+1)
		}
		in = append(in, label+" zones ["+strings.Join(zs, ", ")+"]")
	}
	in = append(in, "pickup zones ["+strings.Join(j.PickupZones, ", ")+"]")
	if j.Target == crdt.TargetParcel {
		in = append(in, fmt.Sprintf("%d packages, %d g", j.Packages, j.WeightG))
	} else {
		in = append(in, "items "+Cents(j.ItemsCents))
	}
	in = append(in, "at "+j.At.In(r.Loc).Format("Mon 2006-01-02 15:04 MST"))
	return in
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func rangeText(lo, hi int64, unit string) string {
	if hi == 0 {
		return fmt.Sprintf("at least %d%s", lo, unit)
	}
	return fmt.Sprintf("in [%d, %d)%s", lo, hi, unit)
}

func inBand(v, lo, hi int64) bool { return v >= lo && (hi == 0 || v < hi) }

var weekdayNames = [7]string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

// failures lists every condition of rule that the job does not meet
// (SPEC.md §16.3.4), in the order of the rule's fields.
func (r *Rules) failures(rule *crdt.PriceRule, j *Job) []string {
	var f []string
	if rule.Target != crdt.TargetAny && rule.Target != j.Target {
		if rule.Target == crdt.TargetParcel {
			f = append(f, "for parcel deliveries only")
		} else {
			f = append(f, "for food deliveries only")
		}
	}
	if !inBand(int64(j.DistanceM), int64(rule.MinDistanceM), int64(rule.MaxDistanceM)) {
		f = append(f, fmt.Sprintf("distance %d m is not %s", j.DistanceM, rangeText(int64(rule.MinDistanceM), int64(rule.MaxDistanceM), " m")))
	}
	label := func(i int) string {
		if len(j.DropoffZones) == 1 {
			return "dropoff"
		}
		return "dropoff " + strconv.Itoa(i+1)
	}
	if rule.InZone != "" {
		for i, zs := range j.DropoffZones {
			if !has(zs, rule.InZone) {
				f = append(f, fmt.Sprintf("%s is not in zone %q", label(i), rule.InZone))
			}
		}
	}
	if rule.OutZone != "" {
		for i, zs := range j.DropoffZones {
			if has(zs, rule.OutZone) {
				f = append(f, fmt.Sprintf("%s is in zone %q (the rule wants it outside)", label(i), rule.OutZone))
			}
		}
	}
	if rule.PickupZone != "" && !has(j.PickupZones, rule.PickupZone) {
		f = append(f, fmt.Sprintf("pickup is not in zone %q", rule.PickupZone))
	}
	local := j.At.In(r.Loc)
	if wd := (int(local.Weekday()) + 6) % 7; rule.Days != 0 && rule.Days&(1<<wd) == 0 {
		var days []string
		for d := 0; d < 7; d++ {
			if rule.Days&(1<<d) != 0 {
				days = append(days, dayNames[d])
			}
		}
		f = append(f, fmt.Sprintf("%s is not one of %s", weekdayNames[wd], strings.Join(days, ",")))
	}
	if from, to := int(rule.FromMin), int(rule.ToMin); from != to {
		m := local.Hour()*60 + local.Minute()
		in := from <= m && m < to
		if from > to {
			in = m >= from || m < to
		}
		if !in {
			f = append(f, fmt.Sprintf("%s is not in %s-%s", clock(m), clock(from), clock(to)))
		}
	}
	if !inBand(int64(j.WeightG), int64(rule.MinWeightG), int64(rule.MaxWeightG)) {
		f = append(f, fmt.Sprintf("weight %d g is not %s", j.WeightG, rangeText(int64(rule.MinWeightG), int64(rule.MaxWeightG), " g")))
	}
	if !inBand(int64(j.Packages), int64(rule.MinPackages), int64(rule.MaxPackages)) {
		f = append(f, fmt.Sprintf("%d packages is not %s", j.Packages, rangeText(int64(rule.MinPackages), int64(rule.MaxPackages), "")))
	}
	if !inBand(j.ItemsCents, rule.MinItemsCents, rule.MaxItemsCents) {
		f = append(f, fmt.Sprintf("items %s is not %s", Cents(j.ItemsCents), centsRange(rule.MinItemsCents, rule.MaxItemsCents)))
	}
	return f
}

func centsRange(lo, hi int64) string {
	if hi == 0 {
		return "at least " + Cents(lo)
	}
	return "in [" + Cents(lo) + ", " + Cents(hi) + ")"
}

var stepUnits = map[uint8]string{crdt.StepDistance: "m", crdt.StepWeight: "g", crdt.StepPackages: "packages", crdt.StepDropoffs: "dropoffs"}

// quantity returns the job's value of a step quantity.
func quantity(of uint8, j *Job) int64 {
	switch of {
	case crdt.StepDistance:
		return int64(j.DistanceM)
	case crdt.StepWeight:
		return int64(min(j.WeightG, 1<<50))
	case crdt.StepPackages:
		return int64(min(j.Packages, 1<<50))
	case crdt.StepDropoffs:
		return int64(len(j.DropoffZones))
	}
	return 0
}

// price builds a matching rule's price (SPEC.md §16.3.4): fixed, plus
// each step, plus the items rate.
func price(rule *crdt.PriceRule, j *Job) (int64, []string, error) {
	total := rule.FixedCents
	parts := []string{"fixed " + Cents(rule.FixedCents)}
	for _, s := range rule.Steps {
		v, every, after := quantity(s.Of, j), int64(max(s.Every, 1)), int64(s.After)
		units := int64(0)
		if v > after {
			units = (v - after + every - 1) / every
		}
		p, ok := mul(s.Cents, units)
		if !ok {
			return 0, nil, fmt.Errorf("step of %s overflows", stepUnits[s.Of])
		}
		parts = append(parts, fmt.Sprintf("%s × ceil((%d − %d) / %d %s) = %s × %d = %s",
			Cents(s.Cents), max(v, after), after, every, stepUnits[s.Of], Cents(s.Cents), units, Cents(p)))
		if total, ok = add(total, p); !ok {
			return 0, nil, fmt.Errorf("price overflows")
		}
	}
	if rule.ItemsBps != 0 {
		p, ok := bpsOf(j.ItemsCents, rule.ItemsBps)
		if !ok {
			return 0, nil, fmt.Errorf("items rate overflows")
		}
		parts = append(parts, fmt.Sprintf("%s of items %s = %s", Percent(rule.ItemsBps), Cents(j.ItemsCents), Cents(p)))
		if total, ok = add(total, p); !ok {
			return 0, nil, fmt.Errorf("price overflows")
		}
	}
	return total, parts, nil
}
