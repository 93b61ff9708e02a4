// Package market is the marketplace's domain core (issue 4): what a
// CoopCycle cooperative relies on its central server for, as pure functions
// that every node computes identically.
//
//   - geometry: integer distance and zone tests (geo.go);
//   - opening hours, closings, time slots and capacity (hours.go, slots.go);
//   - the coop's versioned pricing rules, "find" or "map", with an
//     explanation of every result, the platform fee, courier pay and taxes
//     (rules.go, fees.go);
//   - checkout: a cart checked against a restaurant's profile and menu and
//     the coop's rules, refused with a named reason or turned into a quote
//     and the order.place to sign (checkout.go); shops' parcel deliveries
//     (parcel.go);
//   - re-pricing any recorded order with the rules version it names
//     (reprice.go), and CSV exports (export.go).
//
// Why a package of its own, and why pure: a price is agreed by people who
// never talk to the same server. The customer's node quotes, the
// restaurant's node checks, a courier's node shows what the job pays, an
// accountant's node exports the month — and all of them must get the same
// cents, from the recorded order and the rules version it names, years
// later. So everything here is a function of its arguments: no goroutines,
// no clock (callers pass now), no randomness, no storage or network, and no
// floating-point number in anything that decides an amount (integer cents,
// basis points, metres, microdegrees; rounding half up, specified in
// SPEC.md §16). Time zones come from the IANA database (time/tzdata is
// embedded so that every node has one).
//
// Package node wires it in: it hands market the replica's current
// documents, rules and orders, and signs what market builds. The normative
// text is SPEC.md §16 in this directory.
package market

import _ "time/tzdata" // every node has the zone database, whatever its OS
