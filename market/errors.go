package market

import (
	"errors"
	"fmt"
	"time"
)

// Refusal reasons (SPEC.md §16.6). Every error of the package wraps one
// of these, so callers test with errors.Is and show Code(err).
var (
	// ErrRestaurantClosed (code "closed"): the restaurant or shop is
	// disabled, closed at the requested time, or in a closing period. (A
	// stopped node is node.ErrClosed, code "stopped".)
	ErrRestaurantClosed = errors.New("market: restaurant closed")
	// ErrFulfilmentNotOffered: delivery or collection not offered.
	ErrFulfilmentNotOffered = errors.New("market: fulfilment not offered")
	// ErrSlotUnavailable: the slot is misaligned, too soon, too far ahead,
	// or pre-ordering is off.
	ErrSlotUnavailable = errors.New("market: slot unavailable")
	// ErrTooManyOrders: the restaurant's order limit for that time window
	// is reached.
	ErrTooManyOrders = errors.New("market: too many orders in this time window")
	// ErrOutsideZone: a dropoff is outside the delivery zone.
	ErrOutsideZone = errors.New("market: outside the delivery zone")
	// ErrBadPosition: a position is missing or off the globe.
	ErrBadPosition = errors.New("market: bad position")
	// ErrEmptyCart and ErrCartTooLarge: no lines, or more than MaxLines.
	ErrEmptyCart    = errors.New("market: empty cart")
	ErrCartTooLarge = errors.New("market: cart too large")
	// ErrUnknownProduct: no product with that ID on the menu.
	ErrUnknownProduct = errors.New("market: unknown product")
	// ErrUnavailableItem: a product or option value disabled or sold out.
	ErrUnavailableItem = errors.New("market: unavailable item")
	// ErrBadQuantity: a quantity of 0 or above MaxQuantity.
	ErrBadQuantity = errors.New("market: bad quantity")
	// ErrUnknownOption: an option value the product does not have.
	ErrUnknownOption = errors.New("market: unknown option")
	// ErrBadOptionCount: fewer or more choices than an option allows, or a
	// value chosen twice.
	ErrBadOptionCount = errors.New("market: bad option count")
	// ErrBelowMinimum: the items total is below the restaurant's minimum.
	ErrBelowMinimum = errors.New("market: below the minimum order")
	// ErrBadTip: a negative or huge tip.
	ErrBadTip = errors.New("market: bad tip")
	// ErrNoRuleMatched: no pricing rule applies; the Refusal carries the
	// explanation of why each rule did not.
	ErrNoRuleMatched = errors.New("market: no pricing rule matched")
	// ErrNoRules: a delivery needs the coop's rules and none is published.
	ErrNoRules = errors.New("market: no pricing rules")
	// ErrUnknownRulesVersion: an order names a rules version not held.
	ErrUnknownRulesVersion = errors.New("market: unknown rules version")
	// ErrBadRules: a rule set that is not well formed.
	ErrBadRules = errors.New("market: bad rules")
	// ErrBadHours: opening hours that do not parse.
	ErrBadHours = errors.New("market: bad opening hours")
	// ErrBadTimezone: an unknown IANA time zone.
	ErrBadTimezone = errors.New("market: bad time zone")
	// ErrBadMenu: a menu that checkout cannot use: a price out of range,
	// a product or option without an ID or with another's, an option whose
	// min is above its max or its values (ValidateMenu).
	ErrBadMenu = errors.New("market: bad menu")
	// ErrBadProfile: a profile setting out of range (ValidateProfile).
	ErrBadProfile = errors.New("market: bad profile")
	// ErrBadPIN: a handover PIN that is too long or not text.
	ErrBadPIN = errors.New("market: bad PIN")
	// ErrAmountRange: an amount beyond MaxCents, or arithmetic overflow.
	ErrAmountRange = errors.New("market: amount out of range")
	// ErrBadParcel: a parcel request that is not well formed.
	ErrBadParcel = errors.New("market: bad parcel delivery")
	// ErrPriceMismatch: an order's recorded lines or amounts differ from
	// what the restaurant's menu and the coop's rules give (VerifyOrder).
	ErrPriceMismatch = errors.New("market: price mismatch")
	// ErrPaymentNotOffered: the restaurant does not offer the payment
	// method asked for (SPEC.md §20.1).
	ErrPaymentNotOffered = errors.New("market: payment method not offered")
	// ErrAmountMismatch: a payment provider reports an amount or currency
	// other than the order's total (SPEC.md §20.3.3); nothing is recorded.
	ErrAmountMismatch = errors.New("market: payment amount does not match the order")
	// ErrPaymentMismatch: a provider's status names another payment or
	// order than the one the order records.
	ErrPaymentMismatch = errors.New("market: payment does not belong to the order")
	// ErrBadFilter: an export filter that does not parse.
	ErrBadFilter = errors.New("market: bad export filter")
)

var codes = []struct {
	err  error
	code string
}{
	{ErrRestaurantClosed, "closed"}, {ErrFulfilmentNotOffered, "fulfilment_not_offered"}, {ErrSlotUnavailable, "slot_unavailable"},
	{ErrTooManyOrders, "too_many_orders"}, {ErrOutsideZone, "outside_zone"}, {ErrBadPosition, "bad_position"},
	{ErrEmptyCart, "empty_cart"}, {ErrCartTooLarge, "cart_too_large"}, {ErrUnknownProduct, "unknown_product"},
	{ErrUnavailableItem, "unavailable_item"}, {ErrBadQuantity, "bad_quantity"}, {ErrUnknownOption, "unknown_option"},
	{ErrBadOptionCount, "bad_option_count"}, {ErrBelowMinimum, "below_minimum"}, {ErrBadTip, "bad_tip"},
	{ErrNoRuleMatched, "no_rule_matched"}, {ErrNoRules, "no_rules"}, {ErrUnknownRulesVersion, "unknown_rules_version"},
	{ErrBadRules, "bad_rules"}, {ErrBadHours, "bad_hours"}, {ErrBadTimezone, "bad_timezone"}, {ErrBadMenu, "bad_menu"},
	{ErrBadProfile, "bad_profile"}, {ErrBadPIN, "bad_pin"},
	{ErrAmountRange, "amount_range"}, {ErrBadParcel, "bad_parcel"}, {ErrPriceMismatch, "price_mismatch"}, {ErrBadFilter, "bad_filter"},
	{ErrPaymentNotOffered, "payment_not_offered"}, {ErrAmountMismatch, "amount_mismatch"}, {ErrPaymentMismatch, "payment_mismatch"},
}

// CodeOf pairs a sentinel of the package with its code.
type CodeOf struct {
	Err  error
	Code string
}

// Codes lists every sentinel of the package with its code, in a fixed
// order. Package node folds it into the one table of codes the API
// surfaces share.
func Codes() []CodeOf {
	out := make([]CodeOf, len(codes))
	for i, c := range codes {
		out[i] = CodeOf{c.err, c.code}
	}
	return out
}

// Code returns the stable code of the package sentinel err wraps (the
// strings of SPEC.md §16.6, e.g. "outside_zone"), or "" for nil and
// for errors of other packages.
func Code(err error) string {
	if err == nil {
		return ""
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.code
		}
	}
	return ""
}

// Refusal is a checkout refusal: a sentinel with its detail, and what an
// app needs to explain it. errors.Is(r, ErrRestaurantClosed) and friends work on it.
type Refusal struct {
	Err    error  // the sentinel
	Detail string // human-readable, precise
	// Field is the field at fault of a refused document, in JSON path
	// form ("hours[1]", "sections[0].products[2].price_cents"), or "".
	Field string
	// Line is the 1-based cart line concerned, or 0.
	Line int
	// NextOpen is when the restaurant opens next (ErrRestaurantClosed), if known.
	NextOpen time.Time
	// Explanation is the pricing trace (ErrNoRuleMatched).
	Explanation *Explanation
}

func (r *Refusal) Error() string {
	s := r.Err.Error()
	if r.Field != "" {
		s += ": " + r.Field
	}
	if r.Detail != "" {
		s += ": " + r.Detail
	}
	return s
}

// Unwrap returns the sentinel.
func (r *Refusal) Unwrap() error { return r.Err }

func refuse(err error, format string, args ...any) *Refusal {
	return &Refusal{Err: err, Detail: fmt.Sprintf(format, args...)}
}

func refuseLine(line int, err error, format string, args ...any) *Refusal {
	r := refuse(err, format, args...)
	r.Line = line
	r.Detail = fmt.Sprintf("line %d: %s", line, r.Detail)
	return r
}
