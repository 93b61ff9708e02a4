package market

import (
	"strconv"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Shops' parcel deliveries (SPEC.md §16.7): a shop asks for one pickup
// and one or more dropoffs, with packages, weights and time windows; the
// coop's rules price it and couriers claim it like any job.

// ParcelDropoff is one destination of a parcel request.
type ParcelDropoff struct {
	Position crdt.Position `json:"position"` // exact; published only as Coarse(Position)
	Window   crdt.TimeSlot `json:"window"`   // zero: any time
	Packages uint32        `json:"packages"`
	WeightG  uint32        `json:"weight_g,omitempty"`
	Ref      string        `json:"ref,omitempty"`
	Note     string        `json:"note,omitempty"`
	PINHash  []byte        `json:"pin_hash,omitempty"` // crdt.PINHash(shop's signing key, PIN)
}

// ParcelRequest is what a shop asks for. The route is pickup, then the
// dropoffs in the order given.
type ParcelRequest struct {
	Shop     crdt.PubKey     `json:"shop"`
	Pickup   crdt.Position   `json:"pickup"` // zero: the profile's position
	Window   crdt.TimeSlot   `json:"window"` // pickup window; zero: as soon as possible
	Dropoffs []ParcelDropoff `json:"dropoffs"`
}

// ParcelContext is what a parcel request is judged against.
type ParcelContext struct {
	Profile *crdt.CatalogProfile // the shop's profile; nil: no profile checks
	Rules   *Rules
	Now     time.Time
}

// ParcelQuote is a priced parcel request.
type ParcelQuote struct {
	Shop         crdt.PubKey    `json:"shop"`
	Pickup       crdt.Position  `json:"pickup"`
	Window       crdt.TimeSlot  `json:"window"`
	Dropoffs     []crdt.Dropoff `json:"dropoffs"` // as published
	LegsM        []uint32       `json:"legs_m"`   // straight-line legs
	DistanceM    uint32         `json:"distance_m"`
	Packages     uint64         `json:"packages"`
	WeightG      uint64         `json:"weight_g"`
	FeeCents     int64          `json:"fee_cents"`
	Taxes        []TaxLine      `json:"taxes,omitempty"`
	TaxCents     int64          `json:"tax_cents"`
	CourierPay   Pay            `json:"courier_pay"`
	RulesVersion uint64         `json:"rules_version"`
	PricedAt     int64          `json:"priced_at"`
	Delivery     *Explanation   `json:"delivery"`
}

// QuoteParcel checks and prices a parcel request, in this order: profile
// enabled (ErrRestaurantClosed); rules (ErrNoRules); 1..MaxDropoffs dropoffs
// (ErrBadParcel); positions (ErrBadPosition); the pickup window; each
// dropoff: packages ≥ 1, window, PIN hash (ErrBadParcel), service zone
// (ErrOutsideZone); then the fee (ErrNoRuleMatched).
func QuoteParcel(req ParcelRequest, ctx ParcelContext) (*ParcelQuote, error) {
	if ctx.Profile != nil && !ctx.Profile.Enabled {
		return nil, refuse(ErrRestaurantClosed, "the shop is not enabled")
	}
	r := ctx.Rules
	if r == nil {
		return nil, refuse(ErrNoRules, "the coop has published no delivery rules")
	}
	if n := len(req.Dropoffs); n == 0 || n > crdt.MaxDropoffs {
		return nil, refuse(ErrBadParcel, "%d dropoffs, want 1 to %d", n, crdt.MaxDropoffs)
	}
	pickup := req.Pickup
	if pickup.IsZero() && ctx.Profile != nil {
		pickup = ctx.Profile.Position
	}
	if pickup.IsZero() || !pickup.Valid() {
		return nil, refuse(ErrBadPosition, "the pickup position is missing or off the globe")
	}
	now := ctx.Now.UnixMilli()
	if err := checkWindow("pickup", req.Window, now); err != nil {
		return nil, err
	}
	q := &ParcelQuote{Shop: req.Shop, Pickup: pickup, Window: req.Window, RulesVersion: r.Version(), PricedAt: now}
	zone := r.ServiceZone(ctx.Profile)
	route := []crdt.Position{pickup}
	var zones [][]string
	for i, d := range req.Dropoffs {
		n := i + 1
		switch {
		case d.Position.IsZero() || !d.Position.Valid():
			return nil, refuse(ErrBadPosition, "dropoff %d: position missing or off the globe", n)
		case d.Packages == 0:
			return nil, refuse(ErrBadParcel, "dropoff %d: no packages", n)
		case len(d.PINHash) != 0 && len(d.PINHash) != 32:
			return nil, refuse(ErrBadParcel, "dropoff %d: a PIN hash is 32 bytes", n)
		}
		if err := checkWindow("dropoff "+strconv.Itoa(n), d.Window, now); err != nil {
			return nil, err
		}
		if req.Window.Start != 0 && d.Window.End != 0 && d.Window.End <= req.Window.Start {
			return nil, refuse(ErrBadParcel, "dropoff %d: window ends before the pickup window starts", n)
		}
		if zone != "" && !InZone(r.Zone(zone), d.Position) {
			return nil, refuse(ErrOutsideZone, "dropoff %d is outside zone %q", n, zone)
		}
		zs := r.ZonesAt(d.Position)
		zones = append(zones, zs)
		q.LegsM = append(q.LegsM, DistanceM(route[len(route)-1], d.Position))
		route = append(route, d.Position)
		q.Packages += uint64(d.Packages)
		q.WeightG += uint64(d.WeightG)
		q.Dropoffs = append(q.Dropoffs, crdt.Dropoff{Area: Coarse(d.Position), Window: d.Window, Packages: d.Packages,
			WeightG: d.WeightG, Zones: zs, PINHash: d.PINHash, Ref: d.Ref, Note: d.Note})
	}
	var err error
	if q.DistanceM, err = r.BillingDistance(RouteM(route...)); err != nil {
		return nil, err
	}
	at := ctx.Now
	if req.Window.Start != 0 {
		at = time.UnixMilli(req.Window.Start)
	}
	j := Job{Target: crdt.TargetParcel, DistanceM: q.DistanceM, PickupZones: r.ZonesAt(pickup), DropoffZones: zones,
		WeightG: q.WeightG, Packages: q.Packages, At: at}
	if q.Delivery, err = r.DeliveryFee(j); err != nil {
		return nil, err
	}
	q.FeeCents = q.Delivery.FeeCents
	if q.Taxes, q.TaxCents, err = parcelTaxes(r, q.FeeCents); err != nil {
		return nil, err
	}
	if q.CourierPay, err = r.CourierPay(q.DistanceM, len(q.Dropoffs), q.FeeCents, 0); err != nil {
		return nil, err
	}
	return q, nil
}

func parcelTaxes(r *Rules, fee int64) ([]TaxLine, int64, error) {
	if r.Set.DeliveryTax == "" || fee == 0 {
		return nil, 0, nil
	}
	return r.Taxes(map[string]int64{r.Set.DeliveryTax: fee})
}

func checkWindow(what string, w crdt.TimeSlot, now int64) error {
	switch {
	case w == crdt.TimeSlot{}:
		return nil
	case w.End <= w.Start:
		return refuse(ErrBadParcel, "%s window ends before it starts", what)
	case w.End <= now:
		return refuse(ErrBadParcel, "%s window is over", what)
	}
	return nil
}

// OrderPlace builds the order.place to sign, by the shop (its member key or
// a linked device), with wall = q.PricedAt.
func (q *ParcelQuote) OrderPlace(x PlaceExtras) *crdt.OrderPlace {
	p := &crdt.OrderPlace{Restaurant: q.Shop, Fulfilment: crdt.FulfilDelivery, Parcel: true, Slot: q.Window,
		Pickup: q.Pickup, DistanceM: q.DistanceM, RulesVersion: q.RulesVersion, Sealed: x.Sealed, Note: x.Note,
		Dropoffs: append([]crdt.Dropoff(nil), q.Dropoffs...),
		Totals:   crdt.Totals{DeliveryCents: q.FeeCents, TaxCents: q.TaxCents, TotalCents: q.FeeCents}}
	if len(q.Dropoffs) > 0 {
		p.DropoffArea = q.Dropoffs[0].Area // for job boards that show one area
	}
	return p
}
