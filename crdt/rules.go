package crdt

import "strconv"

// Bounds on a rule set (SPEC.md §16.2.2). They keep every
// integer computation of package market far from overflow.
const (
	// MaxRuleCents bounds the magnitude of every amount in a rule set.
	MaxRuleCents = 1_000_000_000
	// MaxBps bounds every rate: 10000 basis points = 100 %.
	MaxBps = 10_000
	// MaxDetourBps bounds RulesSet.DetourBps (+200 %).
	MaxDetourBps = 20_000
	// MaxZones, MaxRules and MaxPriceSteps bound a rule set's lists.
	MaxZones      = 64
	MaxRules      = 256
	MaxPriceSteps = 8
	// MinutesPerDay bounds PriceRule.FromMin and ToMin.
	MinutesPerDay = 1440
)

// RulesVersion is one applied rule set in the coop state.
type RulesVersion struct {
	Version uint64    `json:"version"`
	Event   ID        `json:"event"`  // the rules.set event
	SetAt   int64     `json:"set_at"` // its wall
	Set     *RulesSet `json:"set"`    // the payload; read-only
}

// RulesAt returns the rule set with the given version, if applied.
func (c *CoopState) RulesAt(version uint64) (*RulesSet, bool) {
	if c == nil {
		return nil, false
	}
	for i := range c.Rules {
		if c.Rules[i].Version == version {
			return c.Rules[i].Set, true
		}
	}
	return nil, false
}

// LatestRules returns the rule set with the highest version, if any.
func (c *CoopState) LatestRules() (*RulesSet, bool) {
	if c == nil || len(c.Rules) == 0 {
		return nil, false
	}
	return c.Rules[len(c.Rules)-1].Set, true
}

func (c *CoopState) rulesMax() uint64 {
	if len(c.Rules) == 0 {
		return 0
	}
	return c.Rules[len(c.Rules)-1].Version
}

// applyRules folds a rules.set (SPEC.md §16.2.3).
func (c *CoopState) applyRules(e *Event, b *RulesSet) Reason {
	if r := c.mayEnact(e); r != ReasonOK {
		return r
	}
	if b.Problem() != "" {
		return ReasonBadField
	}
	if b.Version <= c.rulesMax() {
		return ReasonStaleVersion
	}
	c.Rules = append(c.Rules, RulesVersion{Version: b.Version, Event: e.ID, SetAt: e.Wall, Set: b})
	return ReasonOK
}

// Problem returns why a rule set is not well formed, or "" when it is
// (SPEC.md §16.2.2). The fold leaves an ill-formed rules.set out
// with bad_field; package market refuses to compile one with this text.
func (rs *RulesSet) Problem() string {
	if rs == nil {
		return "no rule set"
	}
	if rs.Version == 0 {
		return "version must be at least 1"
	}
	if rs.Strategy != StrategyFind && rs.Strategy != StrategyMap {
		return "strategy must be 1 (find) or 2 (map), not " + itoa(int64(rs.Strategy))
	}
	if len(rs.Zones) > MaxZones {
		return "more than " + itoa(MaxZones) + " zones"
	}
	zones := map[string]bool{}
	for i, z := range rs.Zones {
		if p := z.problem(); p != "" {
			return "zone " + itoa(int64(i+1)) + " " + strconv.Quote(z.Name) + ": " + p
		}
		if zones[z.Name] {
			return "zone name " + strconv.Quote(z.Name) + " used twice"
		}
		zones[z.Name] = true
	}
	known := func(name string) bool { return name == "" || zones[name] }
	if !known(rs.ServiceZone) {
		return "service zone " + strconv.Quote(rs.ServiceZone) + " is not defined"
	}
	if len(rs.Rules) > MaxRules {
		return "more than " + itoa(MaxRules) + " rules"
	}
	for i := range rs.Rules {
		r := &rs.Rules[i]
		if p := r.problem(known); p != "" {
			return "rule " + itoa(int64(i+1)) + " " + strconv.Quote(r.Name) + ": " + p
		}
	}
	f := rs.Fees
	if f.DeliveryBps > MaxBps || f.CollectionBps > MaxBps {
		return "platform fee rate above 10000 bps"
	}
	if !amount(f.FlatCents, false) {
		return "platform flat fee out of range"
	}
	p := rs.Pay
	for _, v := range []int64{p.BaseCents, p.PerKmCents, p.PerDropoffCents, p.MinCents} {
		if !amount(v, false) {
			return "courier pay amount out of range"
		}
	}
	if p.FeeBps > MaxBps || p.TipBps > MaxBps {
		return "courier pay rate above 10000 bps"
	}
	cats := map[string]bool{}
	for _, t := range rs.Taxes {
		if t.Category == "" {
			return "tax rate without a category"
		}
		if cats[t.Category] {
			return "tax category " + strconv.Quote(t.Category) + " listed twice"
		}
		if t.RateBps > MaxBps {
			return "tax rate of " + strconv.Quote(t.Category) + " above 10000 bps"
		}
		cats[t.Category] = true
	}
	if rs.DeliveryTax != "" && !cats[rs.DeliveryTax] {
		return "delivery tax category " + strconv.Quote(rs.DeliveryTax) + " has no rate"
	}
	if rs.DetourBps > MaxDetourBps {
		return "detour above " + itoa(MaxDetourBps) + " bps"
	}
	return ""
}

func (z *Zone) problem() string {
	if z.Name == "" {
		return "no name"
	}
	if len(z.Rings) == 0 {
		return "no ring"
	}
	for j, ring := range z.Rings {
		if len(ring) < 3 {
			return "ring " + itoa(int64(j+1)) + " has fewer than 3 points"
		}
		lo, hi := ring[0].LonE6, ring[0].LonE6
		for _, p := range ring {
			if !p.Valid() {
				return "ring " + itoa(int64(j+1)) + " has a position off the globe"
			}
			lo, hi = min(lo, p.LonE6), max(hi, p.LonE6)
		}
		if int64(hi)-int64(lo) >= 180_000_000 {
			return "ring " + itoa(int64(j+1)) + " spans 180° of longitude or more"
		}
	}
	return ""
}

func (r *PriceRule) problem(known func(string) bool) string {
	if r.Target > TargetParcel {
		return "target must be 0, 1 or 2"
	}
	band := func(what string, lo, hi int64) string {
		if hi != 0 && hi <= lo {
			return "empty " + what + " range [" + itoa(lo) + ", " + itoa(hi) + ")"
		}
		return ""
	}
	for _, p := range []string{
		band("distance", int64(r.MinDistanceM), int64(r.MaxDistanceM)),
		band("weight", int64(r.MinWeightG), int64(r.MaxWeightG)),
		band("packages", int64(r.MinPackages), int64(r.MaxPackages)),
		band("items total", r.MinItemsCents, r.MaxItemsCents),
	} {
		if p != "" {
			return p
		}
	}
	if !amount(r.MinItemsCents, false) || !amount(r.MaxItemsCents, false) {
		return "items total bound out of range"
	}
	for _, z := range []string{r.InZone, r.OutZone, r.PickupZone} {
		if !known(z) {
			return "zone " + strconv.Quote(z) + " is not defined"
		}
	}
	if r.Days >= 1<<7 {
		return "days uses bits above 6"
	}
	if r.FromMin > MinutesPerDay || r.ToMin > MinutesPerDay {
		return "time of day above 1440 minutes"
	}
	if !amount(r.FixedCents, true) {
		return "fixed price out of range"
	}
	if len(r.Steps) > MaxPriceSteps {
		return "more than " + itoa(MaxPriceSteps) + " steps"
	}
	for _, s := range r.Steps {
		if s.Of < StepDistance || s.Of > StepDropoffs {
			return "step quantity must be 1..4"
		}
		if !amount(s.Cents, true) {
			return "step price out of range"
		}
	}
	if r.ItemsBps > MaxBps {
		return "items rate above 10000 bps"
	}
	return ""
}

// amount reports whether v is within ±MaxRuleCents (0..MaxRuleCents when
// negatives are not allowed).
func amount(v int64, negative bool) bool {
	if v < 0 && !negative {
		return false
	}
	return v >= -MaxRuleCents && v <= MaxRuleCents
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }
