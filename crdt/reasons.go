package crdt

// Reason names why a fold left an event out of the state (SPEC.md §6.4).
// Reasons are stable strings: they appear in state, in hashes and in APIs.
type Reason string

// Structural reasons: the event cannot belong where it claims to.
const (
	ReasonOK               Reason = ""
	ReasonWrongBody        Reason = "wrong_body"
	ReasonWrongScope       Reason = "wrong_scope"
	ReasonBadLamport       Reason = "bad_lamport"
	ReasonParentOutside    Reason = "parent_out_of_scope"
	ReasonUnknownCoop      Reason = "unknown_coop"
	ReasonScopeFull        Reason = "scope_full"
	ReasonBadField         Reason = "bad_field"
	ReasonDuplicateGenesis Reason = "duplicate_root"
	// ReasonDuplicate: the very same event (same ID) is already held. An
	// identical order placed twice in one millisecond is one order.
	ReasonDuplicate Reason = "duplicate_event"
	// ReasonSmallOrderKey: the author, or a key the payload admits (a
	// genesis admin, an admitted member, a linked device), is a small-order
	// point, which signs anything under ZIP-215 (SPEC.md §3.3).
	ReasonSmallOrderKey Reason = "small_order_key"
)

// Authority reasons: the author may never do this here (SPEC.md §6.3).
const (
	ReasonNotAdmin          Reason = "not_admin"
	ReasonNotMember         Reason = "not_member"
	ReasonRevokedKey        Reason = "revoked_key"
	ReasonNotCourier        Reason = "not_courier"
	ReasonNotRestaurant     Reason = "not_restaurant"        // author is not the order's restaurant
	ReasonRestaurantUnknown Reason = "restaurant_not_member" // the order names no partner restaurant
	ReasonNotCustomer       Reason = "not_customer"
	ReasonNotParty          Reason = "not_party"
	ReasonNotDispatcher     Reason = "not_dispatcher"
	ReasonNotHolder         Reason = "not_holder"
	ReasonNotOwner          Reason = "not_owner" // catalogue written by someone else
	ReasonGenesisAuthor     Reason = "genesis_author_not_admin"
)

// State reasons: allowed in general, but not in the state where the event
// lands in the fold order (SPEC.md §6.1).
const (
	ReasonBadTransition  Reason = "invalid_transition"
	ReasonCancelAfterAcc Reason = "customer_cancel_after_accept"
	ReasonNotClaimable   Reason = "not_claimable"
	ReasonAlreadyHolder  Reason = "already_holder"
	ReasonNoHolder       Reason = "no_holder"
	ReasonCollectionOnly Reason = "collection_only"
	ReasonDeliveryOnly   Reason = "delivery_only"
	ReasonPINMismatch    Reason = "pin_mismatch"
	ReasonNeverAccepted  Reason = "never_accepted"
	ReasonAlreadyMember  Reason = "already_revoked"
	ReasonUnknownMember  Reason = "unknown_member"
	ReasonUnknownDevice  Reason = "unknown_device"
	ReasonDeviceTaken    Reason = "device_taken"
	ReasonBadReason      Reason = "bad_reason"
	// ReasonTooManyClaims: the claiming courier (a member, whichever of
	// its keys signs) already has MaxClaimsPerCourier claims stored on the
	// order (SPEC.md §9, §15.3).
	ReasonTooManyClaims Reason = "too_many_claims"
	// ReasonStaleVersion: a rules.set whose version is not above every
	// version applied before it (SPEC.md §16.2.3).
	ReasonStaleVersion Reason = "stale_version"
	// Payment reasons (SPEC.md §20.2).
	ReasonAmountMismatch Reason = "amount_mismatch"
	ReasonPaymentMethod  Reason = "payment_method_mismatch"
	ReasonPaymentRef     Reason = "payment_ref_mismatch"
)

// Governance reasons (SPEC.md §19.7).
const (
	// ReasonUnknownProposal: a vote, delegation or enactment names no
	// proposal of the coop.
	ReasonUnknownProposal Reason = "unknown_proposal"
	// ReasonVoteClosed: a vote or delegation signed at or after the close.
	ReasonVoteClosed Reason = "vote_closed"
	// ReasonNotEligible: the voter, or the delegate named, is not in the
	// proposal's electorate.
	ReasonNotEligible Reason = "not_eligible"
	// ReasonVoteRequired: the constitution requires a passed proposal for
	// this change, and the event names none.
	ReasonVoteRequired Reason = "vote_required"
	// ReasonNotFinal: an enactment signed before the proposal's result is
	// final (close + TallyGrace).
	ReasonNotFinal Reason = "not_final"
	// ReasonNotPassed: an enactment of a proposal that did not pass.
	ReasonNotPassed Reason = "not_passed"
	// ReasonDecisionMismatch: an enactment whose kind or payload is not the
	// proposal's decision.
	ReasonDecisionMismatch Reason = "decision_mismatch"
	// ReasonWrongRule: the proposal passed with a rule, quorum or
	// electorate other than the constitution requires for the matter.
	ReasonWrongRule Reason = "wrong_rule"
	// ReasonAlreadyEnacted: a second enactment of one proposal.
	ReasonAlreadyEnacted Reason = "already_enacted"
)

// Rejection records an event that the fold left out, and why.
type Rejection struct {
	Event  ID     `json:"event"`
	Kind   Kind   `json:"kind"`
	Author PubKey `json:"author"`
	Reason Reason `json:"reason"`
}

// ReasonFeedbackClosed: a rating or incident report signed more than
// FeedbackWindowMillis after the order finished (SPEC.md §21.4.2).
const ReasonFeedbackClosed Reason = "feedback_closed"

// Shift reasons (SPEC.md §21.1.4).
const (
	// ReasonNotPlanner: the author may not publish shifts: neither an
	// admin nor of a role the constitution names.
	ReasonNotPlanner Reason = "not_planner"
	// ReasonUnknownShift: the shift named is not one of the coop's.
	ReasonUnknownShift Reason = "unknown_shift"
	// ReasonShiftFull: every seat of the shift is taken.
	ReasonShiftFull Reason = "shift_full"
	// ReasonOnShift: the courier already holds a seat on the shift.
	ReasonOnShift Reason = "already_on_shift"
	// ReasonNotOnShift: the courier holds no seat on the shift.
	ReasonNotOnShift Reason = "not_on_shift"
	// ReasonShortNotice: a drop signed later than the constitution's
	// notice before the start.
	ReasonShortNotice Reason = "short_notice"
	// ReasonShiftStarted: a swap offer or acceptance signed at or after
	// the start of a shift it moves a seat on.
	ReasonShiftStarted Reason = "shift_started"
	// ReasonShiftOver: a sign-up signed at or after the shift's end.
	ReasonShiftOver Reason = "shift_over"
	// ReasonUnknownOffer: the swap offer named is not one of the coop's.
	ReasonUnknownOffer Reason = "unknown_offer"
	// ReasonOfferClosed: the swap offer was taken, or its courier left
	// the shift.
	ReasonOfferClosed Reason = "offer_closed"
	// ReasonNotOffered: the swap offer names another courier.
	ReasonNotOffered Reason = "not_offered"
)
