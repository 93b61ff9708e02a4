// Package crdt holds coopnode's replicated state: the typed events that
// people sign, and the pure folds that turn a set of events into state.
//
// Why a package of its own: every node must compute byte-identical state from
// the same set of events, whatever order they arrived in, with duplicates, and
// across partitions. That is only checkable if the fold is a pure function, so
// this package has no goroutines, no clocks, no randomness, no I/O and no
// logging, and imports only the standard library. Signatures, encodings and
// wire limits live in package protocol; this package trusts that an Event's ID
// and Author were verified before it sees them.
//
// State is split into bounded scopes (SPEC.md §4) instead of one global log:
//
//   - a cooperative log per coop (genesis, members, devices, rules);
//   - a replaceable latest-wins document per restaurant and document kind
//     (profile, menu);
//   - a small causal log per order, whose scope ID is the ID of the order's
//     place event.
//
// Causal logs (coop and order) are folded by sorting their events by
// (Lamport, ID) and applying them one by one to a state machine. An event is
// applied only once all its parents are present (causal delivery), and its
// Lamport clock must be exactly one more than the largest of its parents', so
// the sort is a linear extension of causality that an author cannot skew.
// Events that break a rule stay in the set, change nothing, and are listed in
// the state with the reason.
package crdt
