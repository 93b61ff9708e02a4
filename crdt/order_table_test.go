package crdt

import "testing"

type step struct {
	who  string
	body Payload
}

// prefixes reach each order state by a valid history (SPEC.md §6.1).
var prefixes = map[string][]step{
	"placed":         nil,
	"accepted":       {{"resto", &OrderAccept{PrepMinutes: 12}}},
	"preparing":      {{"resto", &OrderAccept{}}, {"resto", &OrderStartPreparing{}}},
	"ready":          {{"resto", &OrderAccept{}}, {"resto", &OrderReady{}}},
	"claimed":        {{"resto", &OrderAccept{}}, {"c1", &CourierClaim{}}},
	"assigned":       {{"resto", &OrderAccept{}}, {"c1", &CourierClaim{}}, {"resto", &CourierAssign{Courier: key("c1")}}},
	"picked":         {{"resto", &OrderAccept{}}, {"c1", &CourierClaim{}}, {"resto", &CourierAssign{Courier: key("c1")}}, {"c1", &TaskPickup{}}},
	"delivered":      {{"resto", &OrderAccept{}}, {"c1", &CourierClaim{}}, {"c1", &TaskPickup{}}, {"c1", &TaskDeliver{Proof: Proof{Recipient: "Ana"}}}},
	"refused":        {{"resto", &OrderRefuse{Reason: ReasonRushHour}}},
	"cancelled":      {{"resto", &OrderAccept{}}, {"resto", &OrderCancel{Reason: ReasonSoldOut}}},
	"cust_cancelled": {{"cust", &OrderCancel{Reason: ReasonCustomer}}},
	"failed":         {{"resto", &OrderAccept{}}, {"c1", &CourierClaim{}}, {"c1", &TaskPickup{}}, {"c1", &TaskFail{Task: TaskDropoffN, Reason: "no_answer"}}},
}

type transitionCase struct {
	name    string
	from    string
	collect bool // a collection order instead of delivery
	who     string
	body    Payload
	gate    Reason      // non-empty: Apply rejects the event outright (authority)
	reason  Reason      // non-empty: stored but left out of the state for this reason
	want    OrderStatus // status after, when accepted
	check   func(t *testing.T, s *OrderState)
}

func transitionCases() []transitionCase {
	c1, c2 := key("c1"), key("c2")
	return []transitionCase{
		// restaurant decisions
		{name: "accept", from: "placed", who: "resto", body: &OrderAccept{PrepMinutes: 20}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.PrepMinutes != 20 || s.Pickup.Status != TaskTodo || s.Dropoff.Status != TaskTodo {
					t.Errorf("prep %d pickup %s dropoff %s", s.PrepMinutes, s.Pickup.Status, s.Dropoff.Status)
				}
			}},
		{name: "accept default prep", from: "placed", who: "resto", body: &OrderAccept{}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.PrepMinutes != DefaultPrepMinutes {
					t.Errorf("prep %d", s.PrepMinutes)
				}
			}},
		{name: "accept twice", from: "accepted", who: "resto", body: &OrderAccept{}, reason: ReasonBadTransition},
		{name: "accept after refuse", from: "refused", who: "resto", body: &OrderAccept{}, reason: ReasonBadTransition},
		{name: "accept by customer", from: "placed", who: "cust", body: &OrderAccept{}, gate: ReasonNotRestaurant},
		{name: "accept by other restaurant", from: "placed", who: "resto2", body: &OrderAccept{}, gate: ReasonNotRestaurant},
		{name: "accept by courier", from: "placed", who: "c1", body: &OrderAccept{}, gate: ReasonNotRestaurant},
		{name: "accept by dispatcher", from: "placed", who: "disp", body: &OrderAccept{}, gate: ReasonNotRestaurant},
		{name: "refuse", from: "placed", who: "resto", body: &OrderRefuse{Reason: ReasonSoldOut}, want: StatusRefused},
		{name: "refuse closing", from: "placed", who: "resto", body: &OrderRefuse{Reason: ReasonClosing}, want: StatusRefused},
		{name: "refuse bad reason", from: "placed", who: "resto", body: &OrderRefuse{Reason: "bored"}, reason: ReasonBadReason},
		{name: "refuse after accept", from: "accepted", who: "resto", body: &OrderRefuse{Reason: ReasonSoldOut}, reason: ReasonBadTransition},
		{name: "refuse by stranger", from: "placed", who: "stranger", body: &OrderRefuse{Reason: ReasonSoldOut}, gate: ReasonNotRestaurant},
		{name: "delay placed", from: "placed", who: "resto", body: &OrderDelay{Minutes: 10}, want: StatusPlaced},
		{name: "delay ready", from: "ready", who: "resto", body: &OrderDelay{Minutes: 20}, want: StatusReady,
			check: func(t *testing.T, s *OrderState) {
				if s.DelayMinutes != 20 || s.ExpectedReadyAt() != s.AcceptedAt+int64(DefaultPrepMinutes+20)*60_000 {
					t.Errorf("delay %d eta %d", s.DelayMinutes, s.ExpectedReadyAt())
				}
			}},
		{name: "delay zero", from: "accepted", who: "resto", body: &OrderDelay{}, reason: ReasonBadField},
		{name: "delay too long", from: "accepted", who: "resto", body: &OrderDelay{Minutes: MaxDelayMinutes + 1}, reason: ReasonBadField},
		{name: "delay after pickup", from: "picked", who: "resto", body: &OrderDelay{Minutes: 5}, reason: ReasonBadTransition},
		{name: "delay by courier", from: "accepted", who: "c1", body: &OrderDelay{Minutes: 5}, gate: ReasonNotRestaurant},
		{name: "start preparing", from: "accepted", who: "resto", body: &OrderStartPreparing{}, want: StatusPreparing},
		{name: "start preparing placed", from: "placed", who: "resto", body: &OrderStartPreparing{}, reason: ReasonBadTransition},
		{name: "start preparing by customer", from: "accepted", who: "cust", body: &OrderStartPreparing{}, gate: ReasonNotRestaurant},
		{name: "ready from accepted", from: "accepted", who: "resto", body: &OrderReady{}, want: StatusReady},
		{name: "ready from preparing", from: "preparing", who: "resto", body: &OrderReady{}, want: StatusReady},
		{name: "ready placed", from: "placed", who: "resto", body: &OrderReady{}, reason: ReasonBadTransition},
		{name: "ready twice", from: "ready", who: "resto", body: &OrderReady{}, reason: ReasonBadTransition},
		{name: "ready by courier", from: "accepted", who: "c1", body: &OrderReady{}, gate: ReasonNotRestaurant},
		{name: "fulfil collection", from: "ready", collect: true, who: "resto", body: &OrderFulfil{}, want: StatusFulfilled},
		{name: "fulfil delivery order", from: "ready", who: "resto", body: &OrderFulfil{}, reason: ReasonCollectionOnly},
		{name: "fulfil placed", from: "placed", collect: true, who: "resto", body: &OrderFulfil{}, reason: ReasonBadTransition},
		{name: "fulfil by customer", from: "ready", collect: true, who: "cust", body: &OrderFulfil{}, gate: ReasonNotRestaurant},

		// cancellation and restore
		{name: "customer cancels placed", from: "placed", who: "cust", body: &OrderCancel{Reason: ReasonCustomer}, want: StatusCancelled},
		{name: "customer cancels after accept", from: "accepted", who: "cust", body: &OrderCancel{Reason: ReasonCustomer}, reason: ReasonCancelAfterAcc},
		{name: "customer cancels after pickup", from: "picked", who: "cust", body: &OrderCancel{Reason: ReasonCustomer}, reason: ReasonCancelAfterAcc},
		{name: "customer cancel wrong reason", from: "placed", who: "cust", body: &OrderCancel{Reason: ReasonNoShow}, reason: ReasonBadReason},
		{name: "other customer cancels", from: "placed", who: "cust2", body: &OrderCancel{Reason: ReasonCustomer}, gate: ReasonNotParty},
		{name: "courier cancels", from: "assigned", who: "c1", body: &OrderCancel{Reason: ReasonNoShow}, gate: ReasonNotParty},
		{name: "restaurant cancels accepted", from: "assigned", who: "resto", body: &OrderCancel{Reason: ReasonSoldOut}, want: StatusCancelled,
			check: func(t *testing.T, s *OrderState) {
				if s.HasHolder() || s.Pickup.Status != TaskCancelled || s.Dropoff.Status != TaskCancelled || s.Claims[0].Outcome != ClaimReleased {
					t.Errorf("holder %v pickup %s dropoff %s claim %s", s.HasHolder(), s.Pickup.Status, s.Dropoff.Status, s.Claims[0].Outcome)
				}
			}},
		{name: "dispatcher cancels no-show", from: "ready", who: "disp", body: &OrderCancel{Reason: ReasonNoShow}, want: StatusCancelled},
		{name: "restaurant cancel bad reason", from: "accepted", who: "resto", body: &OrderCancel{Reason: "meh"}, reason: ReasonBadReason},
		{name: "cancel after pickup", from: "picked", who: "resto", body: &OrderCancel{Reason: ReasonSoldOut}, reason: ReasonBadTransition},
		{name: "cancel delivered", from: "delivered", who: "disp", body: &OrderCancel{Reason: ReasonNoShow}, reason: ReasonBadTransition},
		{name: "restore", from: "cancelled", who: "resto", body: &OrderRestore{}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.Pickup.Status != TaskTodo || s.Reason != "" {
					t.Errorf("pickup %s reason %q", s.Pickup.Status, s.Reason)
				}
			}},
		{name: "restore by dispatcher", from: "cancelled", who: "disp", body: &OrderRestore{}, want: StatusAccepted},
		{name: "restore never accepted", from: "cust_cancelled", who: "resto", body: &OrderRestore{}, reason: ReasonNeverAccepted},
		{name: "restore not cancelled", from: "accepted", who: "resto", body: &OrderRestore{}, reason: ReasonBadTransition},
		{name: "restore by customer", from: "cancelled", who: "cust", body: &OrderRestore{}, gate: ReasonNotRestaurant},

		// claims and assignment (SPEC.md §7)
		{name: "claim", from: "accepted", who: "c1", body: &CourierClaim{}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.Holder != c1 || s.HolderConfirmed || s.Claims[0].Outcome != ClaimProvisional {
					t.Errorf("holder %s confirmed %v outcome %s", s.Holder.Short(), s.HolderConfirmed, s.Claims[0].Outcome)
				}
			}},
		{name: "claim via linked device", from: "accepted", who: "c1phone", body: &CourierClaim{}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.Holder != c1 {
					t.Errorf("holder %s, want member key c1", s.Holder.Short())
				}
			}},
		{name: "claim placed", from: "placed", who: "c1", body: &CourierClaim{}, reason: ReasonNotClaimable},
		{name: "claim collection", from: "accepted", collect: true, who: "c1", body: &CourierClaim{}, reason: ReasonDeliveryOnly},
		{name: "claim after pickup", from: "picked", who: "c2", body: &CourierClaim{}, reason: ReasonNotClaimable},
		{name: "claim twice", from: "claimed", who: "c1", body: &CourierClaim{}, reason: ReasonAlreadyHolder},
		{name: "second claim loses", from: "claimed", who: "c2", body: &CourierClaim{}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.Holder != c1 || s.Claims[1].Outcome != ClaimLost || s.Claims[1].Winner != c1 {
					t.Errorf("holder %s second %+v", s.Holder.Short(), s.Claims[1])
				}
			}},
		{name: "claim by non-member", from: "accepted", who: "stranger", body: &CourierClaim{}, gate: ReasonNotCourier},
		{name: "claim by restaurant", from: "accepted", who: "resto", body: &CourierClaim{}, gate: ReasonNotCourier},
		{name: "claim by customer", from: "accepted", who: "cust", body: &CourierClaim{}, gate: ReasonNotCourier},
		{name: "restaurant confirms claim", from: "claimed", who: "resto", body: &CourierAssign{Courier: c1}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.Holder != c1 || !s.HolderConfirmed || s.Claims[0].Outcome != ClaimWon {
					t.Errorf("holder %s confirmed %v %s", s.Holder.Short(), s.HolderConfirmed, s.Claims[0].Outcome)
				}
			}},
		{name: "dispatcher reassigns", from: "assigned", who: "disp", body: &CourierAssign{Courier: c2}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.Holder != c2 || s.Claims[0].Outcome != ClaimLost || s.Claims[0].Winner != c2 {
					t.Errorf("holder %s claim %+v", s.Holder.Short(), s.Claims[0])
				}
			}},
		{name: "assign non-courier", from: "accepted", who: "resto", body: &CourierAssign{Courier: key("cust")}, gate: ReasonNotCourier},
		{name: "assign by courier", from: "claimed", who: "c1", body: &CourierAssign{Courier: c1}, gate: ReasonNotDispatcher},
		{name: "assign by other restaurant", from: "claimed", who: "resto2", body: &CourierAssign{Courier: c1}, gate: ReasonNotDispatcher},
		{name: "assign after pickup", from: "picked", who: "disp", body: &CourierAssign{Courier: c2}, reason: ReasonNotClaimable},
		{name: "holder releases", from: "assigned", who: "c1", body: &CourierUnassign{}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.HasHolder() || s.Claims[0].Outcome != ClaimReleased {
					t.Errorf("holder %v claim %s", s.HasHolder(), s.Claims[0].Outcome)
				}
			}},
		{name: "restaurant unassigns", from: "assigned", who: "resto", body: &CourierUnassign{Reason: "late"}, want: StatusAccepted},
		{name: "other courier unassigns", from: "assigned", who: "c2", body: &CourierUnassign{}, reason: ReasonNotHolder},
		{name: "unassign nobody", from: "accepted", who: "resto", body: &CourierUnassign{}, reason: ReasonNoHolder},
		{name: "unassign after pickup", from: "picked", who: "c1", body: &CourierUnassign{}, reason: ReasonBadTransition},
		{name: "unassign by customer", from: "assigned", who: "cust", body: &CourierUnassign{}, gate: ReasonNotParty},

		// tasks
		{name: "start pickup task", from: "assigned", who: "c1", body: &TaskStart{Task: TaskPickupN}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if s.Pickup.Status != TaskDoing {
					t.Errorf("pickup %s", s.Pickup.Status)
				}
			}},
		{name: "start dropoff before pickup", from: "assigned", who: "c1", body: &TaskStart{Task: TaskDropoffN}, reason: ReasonBadTransition},
		{name: "start dropoff", from: "picked", who: "c1", body: &TaskStart{Task: TaskDropoffN}, want: StatusPickedUp},
		{name: "start bad task", from: "assigned", who: "c1", body: &TaskStart{Task: 9}, reason: ReasonBadField},
		{name: "start by non-holder", from: "assigned", who: "c2", body: &TaskStart{Task: TaskPickupN}, reason: ReasonNotHolder},
		{name: "pickup", from: "assigned", who: "c1", body: &TaskPickup{}, want: StatusPickedUp,
			check: func(t *testing.T, s *OrderState) {
				if s.Pickup.Status != TaskDone || s.Dropoff.Status != TaskTodo {
					t.Errorf("pickup %s dropoff %s", s.Pickup.Status, s.Dropoff.Status)
				}
			}},
		{name: "pickup provisional confirms", from: "claimed", who: "c1", body: &TaskPickup{}, want: StatusPickedUp,
			check: func(t *testing.T, s *OrderState) {
				if !s.HolderConfirmed || s.Claims[0].Outcome != ClaimWon {
					t.Errorf("confirmed %v outcome %s", s.HolderConfirmed, s.Claims[0].Outcome)
				}
			}},
		{name: "pickup from ready", from: "ready", who: "c1", body: &TaskPickup{}, reason: ReasonNoHolder},
		{name: "pickup by other courier", from: "assigned", who: "c2", body: &TaskPickup{}, reason: ReasonNotHolder},
		{name: "pickup by customer", from: "assigned", who: "cust", body: &TaskPickup{}, gate: ReasonNotCourier},
		{name: "pickup twice", from: "picked", who: "c1", body: &TaskPickup{}, reason: ReasonBadTransition},
		{name: "pickup collection", from: "ready", collect: true, who: "c1", body: &TaskPickup{}, reason: ReasonDeliveryOnly},
		{name: "deliver", from: "picked", who: "c1", body: &TaskDeliver{Proof: Proof{Recipient: "Ana", PhotoHash: []byte{1, 2}}}, want: StatusDelivered,
			check: func(t *testing.T, s *OrderState) {
				if s.Dropoff.Status != TaskDone || s.Proof == nil || s.Proof.Recipient != "Ana" {
					t.Errorf("dropoff %s proof %+v", s.Dropoff.Status, s.Proof)
				}
			}},
		{name: "deliver before pickup", from: "assigned", who: "c1", body: &TaskDeliver{}, reason: ReasonBadTransition},
		{name: "deliver by other courier", from: "picked", who: "c2", body: &TaskDeliver{}, reason: ReasonNotHolder},
		{name: "deliver by restaurant", from: "picked", who: "resto", body: &TaskDeliver{}, gate: ReasonNotCourier},
		{name: "deliver twice", from: "delivered", who: "c1", body: &TaskDeliver{}, reason: ReasonBadTransition},
		{name: "fail dropoff", from: "picked", who: "c1", body: &TaskFail{Task: TaskDropoffN, Reason: "no_answer"}, want: StatusFailed,
			check: func(t *testing.T, s *OrderState) {
				if s.Dropoff.Status != TaskFailed || s.Reason != "no_answer" {
					t.Errorf("dropoff %s reason %q", s.Dropoff.Status, s.Reason)
				}
			}},
		{name: "fail pickup", from: "assigned", who: "c1", body: &TaskFail{Task: TaskPickupN, Reason: "closed"}, want: StatusFailed},
		{name: "dispatcher fails dropoff", from: "picked", who: "disp", body: &TaskFail{Task: TaskDropoffN, Reason: "lost"}, want: StatusFailed},
		{name: "fail without reason", from: "picked", who: "c1", body: &TaskFail{Task: TaskDropoffN}, reason: ReasonBadReason},
		{name: "fail by other courier", from: "picked", who: "c2", body: &TaskFail{Task: TaskDropoffN, Reason: "x"}, reason: ReasonNotHolder},
		{name: "fail after delivery", from: "delivered", who: "c1", body: &TaskFail{Task: TaskDropoffN, Reason: "x"}, reason: ReasonBadTransition},
		{name: "fail by customer", from: "picked", who: "cust", body: &TaskFail{Task: TaskDropoffN, Reason: "x"}, gate: ReasonNotCourier},
		{name: "anything after failure", from: "failed", who: "c1", body: &TaskDeliver{}, reason: ReasonBadTransition},
		{name: "restaurant shares with its courier", from: "assigned", who: "resto", body: &OrderShare{Recipient: key("c1"), Sealed: []byte{1, 2, 3}}, want: StatusAccepted,
			check: func(t *testing.T, s *OrderState) {
				if len(s.Shares) != 1 || s.Shares[0].Recipient != key("c1") {
					t.Errorf("shares %+v", s.Shares)
				}
			}},
		{name: "share before acceptance", from: "placed", who: "resto", body: &OrderShare{Recipient: key("c1"), Sealed: []byte{1}}, reason: ReasonBadTransition},
		{name: "share without a box", from: "assigned", who: "resto", body: &OrderShare{Recipient: key("c1")}, reason: ReasonBadField},
		{name: "share by the courier", from: "assigned", who: "c1", body: &OrderShare{Recipient: key("c2"), Sealed: []byte{1}}, gate: ReasonNotRestaurant},
		{name: "share by the customer", from: "assigned", who: "cust", body: &OrderShare{Recipient: key("c2"), Sealed: []byte{1}}, gate: ReasonNotRestaurant},
		{name: "coop kind in order scope", from: "placed", who: "admin", body: &MemberRevoke{Member: c2}, gate: ReasonWrongScope},

		// ratings (SPEC.md §16.8)
		{name: "rate delivered", from: "delivered", who: "cust", body: &OrderRate{RestaurantStars: 5, CourierStars: 4, Comment: "warm"}, want: StatusDelivered,
			check: func(t *testing.T, s *OrderState) {
				if s.Rating == nil || s.Rating.RestaurantStars != 5 || s.Rating.CourierStars != 4 || s.Rating.Comment != "warm" {
					t.Errorf("rating %+v", s.Rating)
				}
			}},
		{name: "rate courier only", from: "delivered", who: "cust", body: &OrderRate{CourierStars: 1}, want: StatusDelivered},
		{name: "rate fulfilled collection", from: "fulfilled", collect: true, who: "cust", body: &OrderRate{RestaurantStars: 3}, want: StatusFulfilled},
		{name: "rate collection courier", from: "fulfilled", collect: true, who: "cust", body: &OrderRate{CourierStars: 3}, reason: ReasonBadField},
		{name: "rate before delivery", from: "picked", who: "cust", body: &OrderRate{RestaurantStars: 5}, reason: ReasonBadTransition},
		{name: "rate refused", from: "refused", who: "cust", body: &OrderRate{RestaurantStars: 1}, reason: ReasonBadTransition},
		{name: "rate no stars", from: "delivered", who: "cust", body: &OrderRate{Comment: "meh"}, reason: ReasonBadField},
		{name: "rate six stars", from: "delivered", who: "cust", body: &OrderRate{RestaurantStars: 6}, reason: ReasonBadField},
		{name: "rate by restaurant", from: "delivered", who: "resto", body: &OrderRate{CourierStars: 5}, gate: ReasonNotCustomer},
		{name: "rate by courier", from: "delivered", who: "c1", body: &OrderRate{RestaurantStars: 5}, gate: ReasonNotCustomer},
		{name: "rate by other customer", from: "delivered", who: "cust2", body: &OrderRate{RestaurantStars: 5}, gate: ReasonNotCustomer},
		// payments (SPEC.md §20.2; the table's place names no method: cash)
		{name: "cash taken by the holder", from: "picked", who: "c1", body: &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}, want: StatusPickedUp,
			check: func(t *testing.T, s *OrderState) {
				if s.PaymentState() != PayPaid {
					t.Errorf("payment %+v", s.Payment)
				}
			}},
		{name: "payment by the customer", from: "picked", who: "cust", body: &OrderPayment{State: PayPaid, Method: PayCash, AmountCents: 1950}, gate: ReasonNotRestaurant},
		// ratings both ways and incidents (SPEC.md §21.4)
		{name: "restaurant rates courier", from: "delivered", who: "resto", body: &OrderFeedback{Of: PartyCourier, Stars: 4}, want: StatusDelivered,
			check: func(t *testing.T, s *OrderState) {
				if len(s.Feedback) != 1 || s.Feedback[0].From != PartyRestaurant || s.Feedback[0].By != key("resto") || s.Feedback[0].Stars != 4 {
					t.Errorf("feedback %+v", s.Feedback)
				}
			}},
		{name: "courier rates restaurant", from: "delivered", who: "c1", body: &OrderFeedback{Of: PartyRestaurant, Stars: 2, Comment: "45 min wait"}, want: StatusDelivered},
		{name: "courier rates customer after a failed dropoff", from: "failed", who: "c1", body: &OrderFeedback{Of: PartyCustomer, Stars: 1}, want: StatusFailed},
		{name: "restaurant rates collection customer", from: "fulfilled", collect: true, who: "resto", body: &OrderFeedback{Of: PartyCustomer, Stars: 5}, want: StatusFulfilled},
		{name: "restaurant rates collection courier", from: "fulfilled", collect: true, who: "resto", body: &OrderFeedback{Of: PartyCourier, Stars: 5}, reason: ReasonNoHolder},
		{name: "another courier rates", from: "delivered", who: "c2", body: &OrderFeedback{Of: PartyRestaurant, Stars: 1}, reason: ReasonNotParty},
		{name: "customer uses feedback", from: "delivered", who: "cust", body: &OrderFeedback{Of: PartyCourier, Stars: 1}, gate: ReasonNotParty},
		{name: "feedback before the end", from: "picked", who: "resto", body: &OrderFeedback{Of: PartyCourier, Stars: 5}, reason: ReasonBadTransition},
		{name: "rate oneself", from: "delivered", who: "c1", body: &OrderFeedback{Of: PartyCourier, Stars: 5}, reason: ReasonBadField},
		{name: "feedback without stars", from: "delivered", who: "resto", body: &OrderFeedback{Of: PartyCourier}, reason: ReasonBadField},
		{name: "feedback of no party", from: "delivered", who: "resto", body: &OrderFeedback{Of: 7, Stars: 3}, reason: ReasonBadField},
		{name: "customer reports lateness", from: "picked", who: "cust", body: &IncidentReport{Category: "late", Against: PartyRestaurant}, want: StatusPickedUp,
			check: func(t *testing.T, s *OrderState) {
				if len(s.Incidents) != 1 || s.Incidents[0].By != key("cust") || s.Incidents[0].From != PartyCustomer {
					t.Errorf("incidents %+v", s.Incidents)
				}
			}},
		{name: "courier reports an unsafe address", from: "failed", who: "c1", body: &IncidentReport{Category: "unsafe", Text: "dog"}, want: StatusFailed},
		{name: "dispatcher reports", from: "accepted", who: "disp", body: &IncidentReport{Category: "other"}, want: StatusAccepted},
		{name: "incident by another courier", from: "picked", who: "c2", body: &IncidentReport{Category: "rude"}, reason: ReasonNotParty},
		{name: "incident by a stranger", from: "picked", who: "stranger", body: &IncidentReport{Category: "rude"}, gate: ReasonNotParty},
		{name: "incident of no category", from: "picked", who: "cust", body: &IncidentReport{Category: "vibes"}, reason: ReasonBadReason},
		{name: "incident against oneself", from: "picked", who: "c1", body: &IncidentReport{Category: "late", Against: PartyCourier}, reason: ReasonBadField},
		{name: "food deliver names a stop", from: "picked", who: "c1", body: &TaskDeliver{Stop: 1}, reason: ReasonBadField},
		{name: "food start names a stop", from: "picked", who: "c1", body: &TaskStart{Task: TaskDropoffN, Stop: 1}, reason: ReasonBadField},
		{name: "food fail names a stop", from: "picked", who: "c1", body: &TaskFail{Task: TaskDropoffN, Stop: 2, Reason: "x"}, reason: ReasonBadField},
		{name: "pickup start names a stop", from: "assigned", who: "c1", body: &TaskStart{Task: TaskPickupN, Stop: 1}, reason: ReasonBadField},
	}
}

func TestOrderTransitions(t *testing.T) {
	w := newWorld(t)
	for _, tc := range transitionCases() {
		t.Run(tc.name, func(t *testing.T) {
			r := w.fresh()
			fulfil := FulfilDelivery
			if tc.collect {
				fulfil = FulfilCollection
			}
			pre, ok := prefixes[tc.from]
			if tc.collect {
				pre, ok = collectionPrefix(tc.from), true
			}
			if !ok {
				t.Fatalf("no prefix %q", tc.from)
			}
			place := w.place("cust", fulfil)
			w.mustStore(r, place)
			for _, st := range pre {
				w.mustStore(r, w.on(r, st.who, place.ID, st.body))
				if rej := lastRejection(w.order(r, place.ID)); rej != ReasonOK {
					t.Fatalf("prefix %s: step %s by %s rejected: %s", tc.from, st.body.Kind(), st.who, rej)
				}
			}
			before := w.order(r, place.ID)
			_, out := w.act(r, tc.who, place.ID, tc.body)
			after := w.order(r, place.ID)
			switch {
			case tc.gate != "":
				if out.Status != Rejected || out.Reason != tc.gate {
					t.Fatalf("got %s %q, want rejected %q", out.Status, out.Reason, tc.gate)
				}
				if after.Hash() != before.Hash() {
					t.Fatal("rejected event changed the state")
				}
			case tc.reason != "":
				if out.Status != Stored {
					t.Fatalf("got %s %q, want stored", out.Status, out.Reason)
				}
				if got := lastRejection(after); got != tc.reason {
					t.Fatalf("fold reason %q, want %q", got, tc.reason)
				}
				if after.Hash() != before.Hash() {
					t.Fatal("rule-breaking event changed the state hash")
				}
			default:
				if out.Status != Stored || lastRejection(after) != ReasonOK {
					t.Fatalf("got %s, fold rejection %q", out.Status, lastRejection(after))
				}
				if after.Status != tc.want {
					t.Fatalf("status %s, want %s", after.Status, tc.want)
				}
				if tc.check != nil {
					tc.check(t, after)
				}
			}
		})
	}
}

func collectionPrefix(from string) []step {
	switch from {
	case "ready":
		return []step{{"resto", &OrderAccept{}}, {"resto", &OrderReady{}}}
	case "accepted":
		return []step{{"resto", &OrderAccept{}}}
	case "fulfilled":
		return []step{{"resto", &OrderAccept{}}, {"resto", &OrderReady{}}, {"resto", &OrderFulfil{}}}
	}
	return nil
}

// TestEveryOrderKindCovered makes sure the table names every order kind.
func TestEveryOrderKindCovered(t *testing.T) {
	seen := map[Kind]bool{KindOrderPlace: true}
	for _, tc := range transitionCases() {
		seen[tc.body.Kind()] = true
	}
	for _, k := range AllKinds() {
		if k.Class() == ScopeOrder && !seen[k] {
			t.Errorf("no transition case for %s", k)
		}
	}
}
