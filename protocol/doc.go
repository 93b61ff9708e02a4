// Package protocol is coopnode's wire format and admission control: how an
// event is encoded, identified and signed (SPEC.md §3), how big it may be
// (SPEC.md §9), which gossip topic carries it (SPEC.md §10), and whether a
// node should accept, reject or ignore bytes that a peer sent.
//
// Why a package of its own: package crdt folds events it trusts, and every
// node must agree byte for byte on which events exist. That agreement rests
// on three things kept here and nowhere else:
//
//   - one encoding per event. Bodies are deterministic CBOR
//     (RFC 8949 §4.2.1) with integer keys and omitted zero values, and Decode accepts
//     only bytes that re-encode to themselves, so an event's ID (the SHA-256
//     of its body, SPEC.md §3.2) cannot be changed by re-encoding it;
//   - one signature rule: Ed25519 over a domain-separated ID (SPEC.md §3.3),
//     so a signature made for an event can never be replayed as anything
//     else, verified under ZIP-215 rules, so that every node, checking
//     signatures one by one (Decode) or in batches (DecodeBatch), accepts
//     exactly the same ones, and refusing small-order keys, which sign
//     anything under those rules;
//   - one admission function, Validate, that is pure (bytes, the caller's
//     clock, a mode and a read-only view of state in; a verdict out), so
//     gossip validators, sync and the local publisher decide alike and the
//     same checks can be fuzzed without a network.
//
// A Reject scores down the peer that forwarded the event, so Validate keeps
// it for events no honest node could have passed on: a refusal that may
// only mean our coop log lags the sender's is an Ignore that the node
// retries (Result.Retry, LagView; SPEC.md §10.2).
//
// The package has no goroutines, no global state beyond immutable CBOR
// modes, no logging and no clock: time comes in as milliseconds since the
// Unix epoch (TestPurity holds it to that, with every transitive
// dependency: internal/deptest.Protocol). No input makes it panic; errors wrap the documented ErrX
// sentinels, and ReasonOf turns any of them into a stable Reason string.
package protocol
