package crdt

// MayLag reports whether Precheck's refusal rs of e may be lifted by a
// coop event this replica lacks — an admission, a role change or a device
// link the sender's node may already hold (SPEC.md §10.2, §15.3). Authority
// looks at the coop log only, and the coop log only grows, so:
//
//   - an author that resolves to no member may be a member or device whose
//     admission or link has not arrived: every authority refusal may lag;
//   - a known author refused for a role it lacks may gain it from a
//     member.admit that has not arrived (not_admin, not_courier,
//     not_dispatcher, not_party, and not_restaurant where the rule is the
//     restaurant role: catalogues, order.restore), as may the order's
//     restaurant named by a place (restaurant_not_member);
//   - a known author refused because it is not the order's restaurant or
//     customer (a fixed key) cannot become it: that refusal is final, as
//     are revoked_key (we know more than the sender, not less), not_owner,
//     not_customer, and every structural reason.
//
// Validators answer a refusal that may lag with Ignore, not Reject, so an
// honest peer whose coop log is ahead of ours is not scored down, and keep
// the event to check again when the coop log changes.
func (r *Replica) MayLag(e *Event, rs Reason) bool {
	switch rs {
	case ReasonNotMember, ReasonNotAdmin, ReasonNotCourier, ReasonNotRestaurant,
		ReasonRestaurantUnknown, ReasonNotParty, ReasonNotDispatcher:
	default:
		return false
	}
	cl := r.coops[e.Coop]
	if cl == nil || e.Kind == KindCoopGenesis {
		return false
	}
	if _, res := cl.state.Resolve(e.Author, e.Wall); res == ReasonNotMember {
		return true
	}
	if rs == ReasonNotRestaurant {
		return e.Kind.Class() == ScopeCatalog || e.Kind == KindOrderRestore
	}
	return rs != ReasonNotMember
}
