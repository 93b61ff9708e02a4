// Package mobile is the courier's and the customer's coopnode node inside
// a phone app: a façade that gomobile binds for Android (Kotlin/Java) and
// iOS (Swift).
//
// Why a façade: gomobile can pass only strings, byte slices, booleans,
// integers, floats, errors and interfaces across the language boundary,
// and an app should not have to track package node's Go types. So, as in
// Berty and Tailscale's Android client, the whole app-facing API is one
// Node type whose methods take and return JSON strings, and the app
// implements one Callbacks interface whose methods receive JSON bytes.
// API.md documents every request, answer and notification with an
// example; tests decode the examples, so the document cannot drift.
//
// Why it builds its own libp2p host: a phone must not pay for the whole
// city's traffic nor keep the radio awake. The façade's host has a
// connection gater driven by the app's connectivity (offline: no dials,
// no accepts) and power state (low power: few peers), an address factory
// fed by the app (Android 11+ forbids listing network interfaces), and
// traffic counters. Gossip runs as a leaf; in the background or in
// low-power mode the node follows no gossip topic at all and catches up
// by sync sessions on a timer and on wake (power.go). Everything the
// courier does offline is recorded in the store at once and handed to
// the network by the first sync session once back online.
//
// What the phone computes and what the coop decides: carts are checked
// and priced by the node with the coop's published rules (node.Quote,
// node.Checkout; SPEC.md §16.6), the customer's name, phone and exact
// address travel sealed to the restaurant, which re-seals them for the
// courier it confirms (PersonalData); ratings are order.rate events; the
// courier's position is shared, sealed, with the parties of the orders it
// holds and comes back to the customer with an ETA (SPEC.md §16.11); a
// courier's earnings are the coop's own pay table (SPEC.md §16.10.3). The
// one local fallback: a job priced without rules is paid its order's
// delivery fee and tip, marked provisional. See API.md, "Real and
// provisional".
package mobile
