package crdt

// Payload is the kind-specific body of an event (SPEC.md §5). Every field
// carries a CBOR integer key; zero values are omitted so that each value has
// exactly one encoding.
type Payload interface {
	Kind() Kind
}

// Roles is a set of cooperative roles, as bits (SPEC.md §5.2).
type Roles uint32

// Cooperative roles.
const (
	RoleCourier    Roles = 1 << 0
	RoleDispatcher Roles = 1 << 1
	RoleAdmin      Roles = 1 << 2
	RoleRestaurant Roles = 1 << 3
	RoleShop       Roles = 1 << 4

	allRoles = RoleCourier | RoleDispatcher | RoleAdmin | RoleRestaurant | RoleShop
)

// Has reports whether every role in want is in r.
func (r Roles) Has(want Roles) bool { return r&want == want }

// Any reports whether r holds at least one role of want.
func (r Roles) Any(want Roles) bool { return r&want != 0 }

// Valid reports whether r uses only defined bits and is not empty.
func (r Roles) Valid() bool { return r != 0 && r&^allRoles == 0 }

// RoleNames returns the role names in r, for display.
func (r Roles) RoleNames() []string {
	var out []string
	for _, x := range []struct {
		r Roles
		n string
	}{{RoleCourier, "courier"}, {RoleDispatcher, "dispatcher"}, {RoleAdmin, "admin"}, {RoleRestaurant, "restaurant"}, {RoleShop, "shop"}} {
		if r.Has(x.r) {
			out = append(out, x.n)
		}
	}
	return out
}

// ParseRole returns the role with the given name.
func ParseRole(name string) (Roles, bool) {
	switch name {
	case "courier":
		return RoleCourier, true
	case "dispatcher":
		return RoleDispatcher, true
	case "admin":
		return RoleAdmin, true
	case "restaurant":
		return RoleRestaurant, true
	case "shop":
		return RoleShop, true
	}
	return 0, false
}

// ---- cooperative log (SPEC.md §5.2) ----

// CoopGenesis founds a cooperative. Its event ID is the coop ID.
type CoopGenesis struct {
	Name     string   `cbor:"1,keyasint,omitempty" json:"name"`
	City     string   `cbor:"2,keyasint,omitempty" json:"city"`
	Admins   []PubKey `cbor:"3,keyasint,omitempty" json:"admins"`
	Currency string   `cbor:"4,keyasint,omitempty" json:"currency"`
	Timezone string   `cbor:"5,keyasint,omitempty" json:"timezone"`
	// Constitution says which changes need a passed proposal (SPEC.md
	// §19.5); empty, the default, lets admins make every change alone.
	Constitution Constitution `cbor:"6,keyasint,omitempty,omitzero" json:"constitution"`
}

// MemberAdmit admits a member, or changes an active member's roles or name.
type MemberAdmit struct {
	Member PubKey `cbor:"1,keyasint,omitempty,omitzero" json:"member"`
	Roles  Roles  `cbor:"2,keyasint,omitempty" json:"roles"`
	Name   string `cbor:"3,keyasint,omitempty" json:"name"`
	// Proposal names the passed proposal this admit enacts (SPEC.md
	// §19.6); zero when an admin acts alone.
	Proposal ID `cbor:"4,keyasint,omitempty,omitzero" json:"proposal,omitzero"`
}

// MemberRevoke ends a membership for good, with all its devices.
type MemberRevoke struct {
	Member PubKey `cbor:"1,keyasint,omitempty,omitzero" json:"member"`
	Reason string `cbor:"2,keyasint,omitempty" json:"reason"`
	// Proposal names the passed proposal this revocation enacts (SPEC.md
	// §19.6); zero when an admin acts alone.
	Proposal ID `cbor:"3,keyasint,omitempty,omitzero" json:"proposal,omitzero"`
}

// DeviceLink lets a device key act for a member.
type DeviceLink struct {
	Member PubKey `cbor:"1,keyasint,omitempty,omitzero" json:"member"`
	Device PubKey `cbor:"2,keyasint,omitempty,omitzero" json:"device"`
	Label  string `cbor:"3,keyasint,omitempty" json:"label"`
}

// DeviceRevoke stops a device key acting for its member (a lost phone).
type DeviceRevoke struct {
	Member PubKey `cbor:"1,keyasint,omitempty,omitzero" json:"member"`
	Device PubKey `cbor:"2,keyasint,omitempty,omitzero" json:"device"`
}

func (*CoopGenesis) Kind() Kind  { return KindCoopGenesis }
func (*MemberAdmit) Kind() Kind  { return KindMemberAdmit }
func (*MemberRevoke) Kind() Kind { return KindMemberRevoke }
func (*DeviceLink) Kind() Kind   { return KindDeviceLink }
func (*DeviceRevoke) Kind() Kind { return KindDeviceRevoke }

// ---- restaurant documents (SPEC.md §5.3) ----

// CatalogProfile is a restaurant's or shop's public profile and settings.
type CatalogProfile struct {
	Name        string     `cbor:"1,keyasint,omitempty" json:"name"`
	Description string     `cbor:"2,keyasint,omitempty" json:"description,omitempty"`
	Address     string     `cbor:"3,keyasint,omitempty" json:"address,omitempty"`
	Position    Position   `cbor:"4,keyasint,omitempty" json:"position"`
	Phone       string     `cbor:"5,keyasint,omitempty" json:"phone,omitempty"`
	Tags        []string   `cbor:"6,keyasint,omitempty" json:"tags,omitempty"`
	Timezone    string     `cbor:"7,keyasint,omitempty" json:"timezone,omitempty"`
	Fulfilment  Fulfilment `cbor:"8,keyasint,omitempty" json:"fulfilment"` // FulfilDelivery|FulfilCollection bits
	// Hours are opening hours in schema.org form ("Mo-Fr 11:30-14:30") in
	// the restaurant's timezone.
	Hours          []string  `cbor:"9,keyasint,omitempty" json:"hours,omitempty"`
	Closings       []Closing `cbor:"10,keyasint,omitempty" json:"closings,omitempty"`
	MinOrderCents  int64     `cbor:"11,keyasint,omitempty" json:"min_order_cents,omitempty"`
	OrderingDelayM uint32    `cbor:"12,keyasint,omitempty" json:"ordering_delay_min,omitempty"`
	PreOrder       bool      `cbor:"13,keyasint,omitempty" json:"pre_order,omitempty"`
	PrepMinutes    uint32    `cbor:"14,keyasint,omitempty" json:"prep_minutes,omitempty"`
	Rush           bool      `cbor:"15,keyasint,omitempty" json:"rush,omitempty"`
	RushExtraM     uint32    `cbor:"16,keyasint,omitempty" json:"rush_extra_min,omitempty"`
	MaxOrders      uint32    `cbor:"17,keyasint,omitempty" json:"max_orders,omitempty"`
	MaxOrdersWinM  uint32    `cbor:"18,keyasint,omitempty" json:"max_orders_window_min,omitempty"`
	AutoAccept     bool      `cbor:"19,keyasint,omitempty" json:"auto_accept,omitempty"`
	Enabled        bool      `cbor:"20,keyasint,omitempty" json:"enabled"`
	Shop           bool      `cbor:"21,keyasint,omitempty" json:"shop,omitempty"`
	// PreOrderDays is how many days ahead slots may be booked when
	// PreOrder is set; 0 means 7 (market.DefaultPreOrderDays).
	PreOrderDays uint32 `cbor:"22,keyasint,omitempty" json:"pre_order_days,omitempty"`
	// DeliveryZone names a zone of the coop's rules that replaces the
	// rules' service zone for this restaurant's deliveries.
	DeliveryZone string `cbor:"23,keyasint,omitempty" json:"delivery_zone,omitempty"`
	// SlotMinutes is the length of time slots; 0 means 10.
	SlotMinutes uint32 `cbor:"24,keyasint,omitempty" json:"slot_minutes,omitempty"`
	// Payments are the payment methods offered, as bits (SPEC.md §20.1);
	// 0 means cash on delivery only.
	Payments PaymentMethods `cbor:"25,keyasint,omitempty" json:"payments,omitempty"`
}

// Closing is a period when a restaurant takes no orders.
type Closing struct {
	Start  int64  `cbor:"1,keyasint,omitempty" json:"start"` // ms since epoch
	End    int64  `cbor:"2,keyasint,omitempty" json:"end"`
	Reason string `cbor:"3,keyasint,omitempty" json:"reason,omitempty"`
}

// CatalogMenu is a restaurant's whole menu: sections of products.
type CatalogMenu struct {
	Sections []MenuSection `cbor:"1,keyasint,omitempty" json:"sections"`
}

// MenuSection groups products under a heading.
type MenuSection struct {
	Name     string    `cbor:"1,keyasint,omitempty" json:"name"`
	Products []Product `cbor:"2,keyasint,omitempty" json:"products"`
}

// Product is one thing on a menu. Prices are integer cents, tax included.
type Product struct {
	ID          string   `cbor:"1,keyasint,omitempty" json:"id"`
	Name        string   `cbor:"2,keyasint,omitempty" json:"name"`
	Description string   `cbor:"3,keyasint,omitempty" json:"description,omitempty"`
	PriceCents  int64    `cbor:"4,keyasint,omitempty" json:"price_cents"`
	TaxCategory string   `cbor:"5,keyasint,omitempty" json:"tax_category,omitempty"`
	Enabled     bool     `cbor:"6,keyasint,omitempty" json:"enabled"`
	SoldOut     bool     `cbor:"7,keyasint,omitempty" json:"sold_out,omitempty"`
	Alcohol     bool     `cbor:"8,keyasint,omitempty" json:"alcohol,omitempty"`
	Allergens   []string `cbor:"9,keyasint,omitempty" json:"allergens,omitempty"`
	Diets       []string `cbor:"10,keyasint,omitempty" json:"diets,omitempty"`
	Options     []Option `cbor:"11,keyasint,omitempty" json:"options,omitempty"`
}

// Option is a choice on a product: pick between Min and Max of its values.
type Option struct {
	ID     string        `cbor:"1,keyasint,omitempty" json:"id"`
	Name   string        `cbor:"2,keyasint,omitempty" json:"name"`
	Min    uint32        `cbor:"3,keyasint,omitempty" json:"min"`
	Max    uint32        `cbor:"4,keyasint,omitempty" json:"max"`
	Values []OptionValue `cbor:"5,keyasint,omitempty" json:"values"`
}

// OptionValue is one choice of an Option, with the price it adds.
type OptionValue struct {
	ID         string `cbor:"1,keyasint,omitempty" json:"id"`
	Name       string `cbor:"2,keyasint,omitempty" json:"name"`
	PriceCents int64  `cbor:"3,keyasint,omitempty" json:"price_cents,omitempty"`
	Enabled    bool   `cbor:"4,keyasint,omitempty" json:"enabled"`
}

func (*CatalogProfile) Kind() Kind { return KindCatalogProfile }
func (*CatalogMenu) Kind() Kind    { return KindCatalogMenu }

// ---- order log (SPEC.md §5.4) ----

// OrderPlace opens an order. Its author is the customer; its ID is the order
// ID. Personal data (name, phone, exact address, instructions) travels only in
// Sealed, encrypted to the restaurant (SPEC.md §8).
type OrderPlace struct {
	Restaurant   PubKey     `cbor:"1,keyasint,omitempty,omitzero" json:"restaurant"`
	Fulfilment   Fulfilment `cbor:"2,keyasint,omitempty" json:"fulfilment"` // FulfilDelivery or FulfilCollection
	Items        []LineItem `cbor:"3,keyasint,omitempty" json:"items"`
	Totals       Totals     `cbor:"4,keyasint,omitempty" json:"totals"`
	Slot         TimeSlot   `cbor:"5,keyasint,omitempty" json:"slot"` // zero: as soon as possible
	Pickup       Position   `cbor:"6,keyasint,omitempty" json:"pickup"`
	DropoffArea  Position   `cbor:"7,keyasint,omitempty" json:"dropoff_area"` // coarse, public
	DistanceM    uint32     `cbor:"8,keyasint,omitempty" json:"distance_m,omitempty"`
	RulesVersion uint64     `cbor:"9,keyasint,omitempty" json:"rules_version,omitempty"`
	Sealed       []byte     `cbor:"10,keyasint,omitempty" json:"sealed,omitempty"`
	PINHash      []byte     `cbor:"11,keyasint,omitempty" json:"pin_hash,omitempty"` // PINHash(customer, PIN): SPEC.md §5.4.1
	Note         string     `cbor:"12,keyasint,omitempty" json:"note,omitempty"`
	// Parcel marks a shop's parcel delivery (SPEC.md §16.7): the
	// author acts for Restaurant (the shop), the order starts accepted, and
	// Dropoffs (1..MaxDropoffs) replace the single dropoff of a food order.
	// For a parcel, Slot is the pickup window.
	Parcel   bool      `cbor:"13,keyasint,omitempty" json:"parcel,omitempty"`
	Dropoffs []Dropoff `cbor:"14,keyasint,omitempty" json:"dropoffs,omitempty"`
	// DropoffZones names the rule-set zones containing the exact dropoff of
	// a food order, as the customer's node computed them when pricing.
	DropoffZones []string `cbor:"15,keyasint,omitempty" json:"dropoff_zones,omitempty"`
	// Payment is how the customer pays (SPEC.md §20.1); 0, not stated,
	// counts as cash on delivery.
	Payment PaymentMethod `cbor:"16,keyasint,omitempty" json:"payment,omitempty"`
}

// LineItem is one product in a cart with its chosen option values.
type LineItem struct {
	Product    string   `cbor:"1,keyasint,omitempty" json:"product"`
	Name       string   `cbor:"2,keyasint,omitempty" json:"name,omitempty"`
	Quantity   uint32   `cbor:"3,keyasint,omitempty" json:"quantity"`
	Options    []string `cbor:"4,keyasint,omitempty" json:"options,omitempty"` // option value IDs
	UnitCents  int64    `cbor:"5,keyasint,omitempty" json:"unit_cents"`
	TotalCents int64    `cbor:"6,keyasint,omitempty" json:"total_cents"`
	// TaxCategory is the product's tax category when ordered, so that
	// taxes can be recomputed after the menu changed.
	TaxCategory string `cbor:"7,keyasint,omitempty" json:"tax_category,omitempty"`
}

// Totals are an order's amounts in integer cents.
type Totals struct {
	ItemsCents    int64 `cbor:"1,keyasint,omitempty" json:"items_cents"`
	DeliveryCents int64 `cbor:"2,keyasint,omitempty" json:"delivery_cents"`
	TipCents      int64 `cbor:"3,keyasint,omitempty" json:"tip_cents"`
	TaxCents      int64 `cbor:"4,keyasint,omitempty" json:"tax_cents"`
	TotalCents    int64 `cbor:"5,keyasint,omitempty" json:"total_cents"`
}

// TimeSlot is a window in ms since the epoch; zero means ASAP.
type TimeSlot struct {
	Start int64 `cbor:"1,keyasint,omitempty" json:"start,omitempty"`
	End   int64 `cbor:"2,keyasint,omitempty" json:"end,omitempty"`
}

// OrderAccept accepts an order with a preparation estimate.
type OrderAccept struct {
	PrepMinutes uint32 `cbor:"1,keyasint,omitempty" json:"prep_minutes,omitempty"`
}

// Refusal and cancellation reasons (SPEC.md §6.1).
const (
	ReasonSoldOut  = "sold_out"
	ReasonRushHour = "rush_hour"
	ReasonClosing  = "closing"
	ReasonCustomer = "customer"
	ReasonNoShow   = "no_show"
)

// OrderRefuse refuses a placed order.
type OrderRefuse struct {
	Reason string `cbor:"1,keyasint,omitempty" json:"reason"`
}

// OrderDelay pushes the expected ready time back.
type OrderDelay struct {
	Minutes uint32 `cbor:"1,keyasint,omitempty" json:"minutes"`
}

// OrderStartPreparing marks that the kitchen started.
type OrderStartPreparing struct{}

// OrderReady marks the order ready for pickup or collection.
type OrderReady struct{}

// OrderCancel cancels an order with a reason.
type OrderCancel struct {
	Reason string `cbor:"1,keyasint,omitempty" json:"reason"`
}

// OrderRestore brings a cancelled order that had been accepted back.
type OrderRestore struct{}

// OrderFulfil closes a collection order handed over at the counter.
type OrderFulfil struct{}

// OrderShare hands the order's sealed personal data on: the restaurant
// re-seals what the customer sealed to it for the courier it confirmed
// (SPEC.md §15.4). Only the recipient can open Sealed.
type OrderShare struct {
	Recipient PubKey `cbor:"1,keyasint,omitempty,omitzero" json:"recipient"`
	Sealed    []byte `cbor:"2,keyasint,omitempty" json:"sealed"`
}

// CourierClaim asks to carry an order.
type CourierClaim struct {
	Position Position `cbor:"1,keyasint,omitempty" json:"position"`
}

// CourierAssign confirms a courier as the order's holder. Restaurants
// confirm the first valid claim they see; dispatchers may assign anyone.
type CourierAssign struct {
	Courier PubKey `cbor:"1,keyasint,omitempty,omitzero" json:"courier"`
	Claim   ID     `cbor:"2,keyasint,omitempty,omitzero" json:"claim"`
}

// CourierUnassign releases the holder so the order can be claimed again.
type CourierUnassign struct {
	Reason string `cbor:"1,keyasint,omitempty" json:"reason,omitempty"`
}

// Task numbers for TaskStart and TaskFail.
const (
	TaskPickupN  uint8 = 1
	TaskDropoffN uint8 = 2
)

// TaskStart marks the holder on the way to the pickup or the dropoff.
type TaskStart struct {
	Task uint8 `cbor:"1,keyasint,omitempty" json:"task"`
	// Stop is the 1-based dropoff of a parcel delivery (task 2 only);
	// absent for food orders.
	Stop uint16 `cbor:"2,keyasint,omitempty" json:"stop,omitempty"`
}

// TaskPickup marks the food collected by the holder.
type TaskPickup struct{}

// TaskDeliver marks the order handed over, with proof.
type TaskDeliver struct {
	Proof Proof  `cbor:"1,keyasint,omitempty" json:"proof"`
	Stop  uint16 `cbor:"2,keyasint,omitempty" json:"stop,omitempty"` // parcel dropoff, 1-based
}

// Proof of delivery. Photos and signatures travel by hash only.
type Proof struct {
	PhotoHash     []byte `cbor:"1,keyasint,omitempty" json:"photo_hash,omitempty"`
	SignatureHash []byte `cbor:"2,keyasint,omitempty" json:"signature_hash,omitempty"`
	Recipient     string `cbor:"3,keyasint,omitempty" json:"recipient,omitempty"`
	Note          string `cbor:"4,keyasint,omitempty" json:"note,omitempty"`
	PIN           string `cbor:"5,keyasint,omitempty" json:"pin,omitempty"`
}

// TaskFail records a failed pickup or dropoff.
type TaskFail struct {
	Task   uint8  `cbor:"1,keyasint,omitempty" json:"task"`
	Reason string `cbor:"2,keyasint,omitempty" json:"reason"`
	Note   string `cbor:"3,keyasint,omitempty" json:"note,omitempty"`
	Stop   uint16 `cbor:"4,keyasint,omitempty" json:"stop,omitempty"` // parcel dropoff of task 2, 1-based
}

func (*OrderPlace) Kind() Kind          { return KindOrderPlace }
func (*OrderAccept) Kind() Kind         { return KindOrderAccept }
func (*OrderRefuse) Kind() Kind         { return KindOrderRefuse }
func (*OrderDelay) Kind() Kind          { return KindOrderDelay }
func (*OrderStartPreparing) Kind() Kind { return KindOrderStartPreparing }
func (*OrderReady) Kind() Kind          { return KindOrderReady }
func (*OrderCancel) Kind() Kind         { return KindOrderCancel }
func (*OrderRestore) Kind() Kind        { return KindOrderRestore }
func (*OrderFulfil) Kind() Kind         { return KindOrderFulfil }
func (*OrderShare) Kind() Kind          { return KindOrderShare }
func (*CourierClaim) Kind() Kind        { return KindCourierClaim }
func (*CourierAssign) Kind() Kind       { return KindCourierAssign }
func (*CourierUnassign) Kind() Kind     { return KindCourierUnassign }
func (*TaskStart) Kind() Kind           { return KindTaskStart }
func (*TaskPickup) Kind() Kind          { return KindTaskPickup }
func (*TaskDeliver) Kind() Kind         { return KindTaskDeliver }
func (*TaskFail) Kind() Kind            { return KindTaskFail }
