package crdt

// Marketplace payloads (issue 4; SPEC.md §16): the coop's
// versioned commercial rules, ratings, and the dropoffs of shops' parcel
// deliveries. Like every payload they carry CBOR integer keys, omit zero
// values and hold no floating-point numbers: amounts are integer cents,
// rates basis points (1/100 of a percent), distances metres, weights grams
// and positions microdegrees.

// Rule set strategies (SPEC.md §16.3): how the delivery fee is
// built from the rules whose conditions match.
const (
	// StrategyFind: the first matching rule, in list order, gives the fee.
	StrategyFind uint8 = 1
	// StrategyMap: the fee is the sum of every matching rule's price.
	StrategyMap uint8 = 2
)

// Rule targets: which deliveries a price rule applies to.
const (
	TargetAny    uint8 = 0 // food deliveries and parcels
	TargetFood   uint8 = 1 // food orders delivered by a courier
	TargetParcel uint8 = 2 // shops' parcel deliveries
)

// Price step quantities (PriceStep.Of).
const (
	StepDistance uint8 = 1 // billing distance, metres
	StepWeight   uint8 = 2 // total weight, grams
	StepPackages uint8 = 3 // total packages
	StepDropoffs uint8 = 4 // number of dropoffs
)

// RulesSet (kind 6, coop log, admin only) is one version of the
// cooperative's commercial rules: delivery zones, the delivery-fee rules,
// the platform fee, the courier pay rule and the tax rates. The coop state
// keeps every version; each order records the version it was priced with,
// so any node can re-price any order (market.Reprice).
type RulesSet struct {
	// Version numbers this rule set. It MUST be greater than every version
	// applied before it in the coop's fold order (else stale_version).
	Version  uint64 `cbor:"1,keyasint,omitempty" json:"version"`
	Strategy uint8  `cbor:"2,keyasint,omitempty" json:"strategy"` // StrategyFind or StrategyMap
	// Zones are named areas, referenced by rules and by ServiceZone.
	Zones []Zone      `cbor:"3,keyasint,omitempty" json:"zones,omitempty"`
	Rules []PriceRule `cbor:"4,keyasint,omitempty" json:"rules,omitempty"`
	// ServiceZone, when set, names the zone every dropoff must lie in.
	ServiceZone string       `cbor:"5,keyasint,omitempty" json:"service_zone,omitempty"`
	Fees        PlatformFees `cbor:"6,keyasint,omitempty" json:"fees"`
	Pay         PayRule      `cbor:"7,keyasint,omitempty" json:"pay"`
	// Taxes are the rates of the tax categories used by menus.
	Taxes []TaxRate `cbor:"8,keyasint,omitempty" json:"taxes,omitempty"`
	// DeliveryTax is the tax category of the delivery fee ("" = untaxed).
	DeliveryTax string `cbor:"9,keyasint,omitempty" json:"delivery_tax,omitempty"`
	// DetourBps is added to straight-line distances to approximate routes:
	// billing distance = d + d × DetourBps / 10000, rounded half up.
	DetourBps uint32 `cbor:"10,keyasint,omitempty" json:"detour_bps,omitempty"`
	Note      string `cbor:"11,keyasint,omitempty" json:"note,omitempty"`
	// Proposal names the passed proposal this rule set enacts (SPEC.md
	// §19.6); zero when an admin acts alone.
	Proposal ID `cbor:"12,keyasint,omitempty,omitzero" json:"proposal,omitzero"`
}

// Zone is a named area: one or more rings of positions, each implicitly
// closed. A point is in the zone when it lies on a ring's edge or when a ray
// from it crosses the rings an odd number of times (even-odd rule), so a
// ring inside another is a hole and separate rings are separate parts.
type Zone struct {
	Name  string       `cbor:"1,keyasint,omitempty" json:"name"`
	Rings [][]Position `cbor:"2,keyasint,omitempty" json:"rings"`
}

// PriceRule is one delivery-fee rule: conditions (all must hold; a zero
// condition always holds) and a price. Ranges are half-open [min, max); a
// zero max means no upper bound.
type PriceRule struct {
	Name   string `cbor:"1,keyasint,omitempty" json:"name,omitempty"`
	Target uint8  `cbor:"2,keyasint,omitempty" json:"target,omitempty"` // TargetAny, TargetFood, TargetParcel

	MinDistanceM uint32 `cbor:"3,keyasint,omitempty" json:"min_distance_m,omitempty"`
	MaxDistanceM uint32 `cbor:"4,keyasint,omitempty" json:"max_distance_m,omitempty"`
	InZone       string `cbor:"5,keyasint,omitempty" json:"in_zone,omitempty"`     // every dropoff in this zone
	OutZone      string `cbor:"6,keyasint,omitempty" json:"out_zone,omitempty"`    // every dropoff outside it
	PickupZone   string `cbor:"7,keyasint,omitempty" json:"pickup_zone,omitempty"` // the pickup in this zone
	// Days is a weekday bit set in the coop's timezone: bit 0 Monday ...
	// bit 6 Sunday; 0 = every day.
	Days uint8 `cbor:"8,keyasint,omitempty" json:"days,omitempty"`
	// FromMin and ToMin are local minutes since midnight, [from, to); from
	// > to wraps past midnight; from = to means all day.
	FromMin       uint16 `cbor:"9,keyasint,omitempty" json:"from_min,omitempty"`
	ToMin         uint16 `cbor:"10,keyasint,omitempty" json:"to_min,omitempty"`
	MinWeightG    uint32 `cbor:"11,keyasint,omitempty" json:"min_weight_g,omitempty"`
	MaxWeightG    uint32 `cbor:"12,keyasint,omitempty" json:"max_weight_g,omitempty"`
	MinPackages   uint32 `cbor:"13,keyasint,omitempty" json:"min_packages,omitempty"`
	MaxPackages   uint32 `cbor:"14,keyasint,omitempty" json:"max_packages,omitempty"`
	MinItemsCents int64  `cbor:"15,keyasint,omitempty" json:"min_items_cents,omitempty"`
	MaxItemsCents int64  `cbor:"16,keyasint,omitempty" json:"max_items_cents,omitempty"`

	// The price: FixedCents + every step + ItemsBps of the items total.
	FixedCents int64       `cbor:"17,keyasint,omitempty" json:"fixed_cents,omitempty"`
	Steps      []PriceStep `cbor:"18,keyasint,omitempty" json:"steps,omitempty"`
	ItemsBps   uint32      `cbor:"19,keyasint,omitempty" json:"items_bps,omitempty"`
}

// PriceStep adds Cents for every started Every units of a quantity beyond
// After: Cents × ceil((v − After) / Every) when v > After, else nothing
// (CoopCycle's price_range; with Every 1 and After 0, a per-unit price such
// as price_per_package). Every 0 counts as 1.
type PriceStep struct {
	Of    uint8  `cbor:"1,keyasint,omitempty" json:"of"` // StepDistance, StepWeight, StepPackages, StepDropoffs
	Cents int64  `cbor:"2,keyasint,omitempty" json:"cents"`
	Every uint32 `cbor:"3,keyasint,omitempty" json:"every,omitempty"`
	After uint32 `cbor:"4,keyasint,omitempty" json:"after,omitempty"`
}

// PlatformFees is what the cooperative keeps from a restaurant's sales:
// rate × items total (rounded half up) + FlatCents, per order.
type PlatformFees struct {
	DeliveryBps   uint32 `cbor:"1,keyasint,omitempty" json:"delivery_bps,omitempty"`
	CollectionBps uint32 `cbor:"2,keyasint,omitempty" json:"collection_bps,omitempty"`
	FlatCents     int64  `cbor:"3,keyasint,omitempty" json:"flat_cents,omitempty"`
}

// PayRule is what a courier earns for a job: BaseCents + PerKmCents per
// billed km (pro rata to the metre) + PerDropoffCents per dropoff after the
// first + FeeBps of the delivery fee + TipBps of the tip, at least MinCents.
type PayRule struct {
	BaseCents       int64  `cbor:"1,keyasint,omitempty" json:"base_cents,omitempty"`
	PerKmCents      int64  `cbor:"2,keyasint,omitempty" json:"per_km_cents,omitempty"`
	PerDropoffCents int64  `cbor:"3,keyasint,omitempty" json:"per_dropoff_cents,omitempty"`
	FeeBps          uint32 `cbor:"4,keyasint,omitempty" json:"fee_bps,omitempty"`
	TipBps          uint32 `cbor:"5,keyasint,omitempty" json:"tip_bps,omitempty"`
	MinCents        int64  `cbor:"6,keyasint,omitempty" json:"min_cents,omitempty"`
}

// TaxRate is the rate of one tax category, in basis points (1000 = 10 %).
type TaxRate struct {
	Category string `cbor:"1,keyasint,omitempty" json:"category"`
	RateBps  uint32 `cbor:"2,keyasint,omitempty" json:"rate_bps"`
}

func (*RulesSet) Kind() Kind { return KindRulesSet }

// OrderRate (kind 70) is the customer's rating of a delivered or fulfilled
// order: 1..5 stars for the restaurant and for the courier (0 = not rated)
// and a comment. The latest rating in fold order replaces earlier ones.
type OrderRate struct {
	RestaurantStars uint8  `cbor:"1,keyasint,omitempty" json:"restaurant_stars,omitempty"`
	CourierStars    uint8  `cbor:"2,keyasint,omitempty" json:"courier_stars,omitempty"`
	Comment         string `cbor:"3,keyasint,omitempty" json:"comment,omitempty"`
}

func (*OrderRate) Kind() Kind { return KindOrderRate }

// MaxDropoffs bounds the dropoffs of one parcel delivery (SPEC.md §16.9).
const MaxDropoffs = 32

// Dropoff is one destination of a parcel delivery (OrderPlace.Parcel). The
// exact address travels sealed; Area is coarse and public.
type Dropoff struct {
	Area     Position `cbor:"1,keyasint,omitempty" json:"area"`
	Window   TimeSlot `cbor:"2,keyasint,omitempty" json:"window"` // zero: any time
	Packages uint32   `cbor:"3,keyasint,omitempty" json:"packages,omitempty"`
	WeightG  uint32   `cbor:"4,keyasint,omitempty" json:"weight_g,omitempty"`
	// Zones names the rule-set zones containing the exact address, as the
	// shop's node computed them when pricing (a recorded pricing input).
	Zones   []string `cbor:"5,keyasint,omitempty" json:"zones,omitempty"`
	PINHash []byte   `cbor:"6,keyasint,omitempty" json:"pin_hash,omitempty"` // PINHash(shop author key, PIN) or absent
	Ref     string   `cbor:"7,keyasint,omitempty" json:"ref,omitempty"`      // the shop's reference
	Note    string   `cbor:"8,keyasint,omitempty" json:"note,omitempty"`
}
