package protocol

import "github.com/coopnode/coopnode/crdt"

// Refusals an honest peer can disagree with (SPEC.md §10.2, §15.3). A
// Reject counts against the peer that forwarded the event, so it is kept
// for events no honest node could have accepted. Two kinds of state-check
// refusal fail that test, and Check answers them with Ignore instead:
//
//   - lag: our coop log may lag the sender's — an admission, role change or
//     device link the event depends on has not reached us yet. Only the
//     view can tell (a known member cannot become the order's restaurant;
//     an unknown key may be a device whose link is on its way), so Check
//     asks a view that implements LagView (*crdt.Replica does: MayLag). A
//     node keeps such an event, bounded, and checks it again when its coop
//     log changes: Result.Retry.
//   - arrival order: too_many_claims, a cap whose outcome depends on which
//     claims arrived first, so another honest node may hold the event.
//
// Every other refusal stays a Reject: structural faults are in the bytes,
// revoked_key means we know more than the sender, not less, and
// clock_skew is 2 minutes beyond any honest clock (§9). A view that is not
// a LagView gets Reject for every refusal but too_many_claims.

// LagView is a View that can say whether a refusal may come from its coop
// log lagging the sender's. *crdt.Replica satisfies it.
type LagView interface {
	MayLag(e *crdt.Event, r crdt.Reason) bool
}

// arrivalOrder are the refusals that depend on the order events arrived in.
var arrivalOrder = map[Reason]bool{Reason(crdt.ReasonTooManyClaims): true}

// mayLag asks the view, if it can answer, turning a panic into false (a
// Reject, as before the view could say).
func mayLag(view View, e *crdt.Event, rs crdt.Reason) (lag bool) {
	lv, ok := view.(LagView)
	if !ok {
		return false
	}
	defer func() {
		if recover() != nil {
			lag = false
		}
	}()
	return lv.MayLag(e, rs)
}

// Retry reports whether the event was ignored because our coop log may lag
// the sender's: the node should keep it, bounded, and check it again when
// its coop log changes, rather than drop it until sync brings it again.
func (r Result) Retry() bool { return r.Verdict == Ignore && r.Lag && r.Event != nil }

// Final reports whether the same bytes will be refused again whatever this
// node learns later: a Reject of a verified event (clock_skew aside: time
// passes), or an arrival-order refusal. A node remembers such IDs so that
// sync does not fetch them again (SPEC.md §8.6, §15.3). Events that did not
// verify are never final by ID: the ID hashes the body only, and a forged
// signature must not make a node refuse the real event.
func (r Result) Final() bool {
	if r.Event == nil {
		return false
	}
	switch r.Verdict {
	case Reject:
		return r.Reason != ReasonClockSkew
	case Ignore:
		return arrivalOrder[r.Reason]
	}
	return false
}
