package crdt

import "testing"

// TestFeedbackWindow: a rating or incident report signed more than
// FeedbackWindowMillis after the order finished is left out with
// feedback_closed; one at the limit counts, and a rater's later rating
// replaces its earlier one (SPEC.md §21.4.2).
func TestFeedbackWindow(t *testing.T) {
	w := newWorld(t)
	r := w.fresh()
	place := w.place("cust", FulfilDelivery)
	w.mustStore(r, place)
	for _, st := range prefixes["delivered"] {
		w.mustStore(r, w.on(r, st.who, place.ID, st.body))
	}
	done := w.order(r, place.ID).FinishedAt()
	if done == 0 {
		t.Fatal("a delivered order has no finish time")
	}
	at := func(who string, wall int64, body Payload) Reason {
		e := w.on(r, who, place.ID, body)
		e.Wall = wall
		w.mustStore(r, e)
		for _, x := range w.order(r, place.ID).Rejected {
			if x.Event == e.ID {
				return x.Reason
			}
		}
		return ReasonOK
	}
	for _, tc := range []struct {
		name string
		who  string
		wall int64
		body Payload
		want Reason
	}{
		{"at the limit", "resto", done + FeedbackWindowMillis, &OrderFeedback{Of: PartyCourier, Stars: 2}, ReasonOK},
		{"changed, within the window", "resto", done + FeedbackWindowMillis - 1, &OrderFeedback{Of: PartyCourier, Stars: 5}, ReasonOK},
		{"a late rating", "c1", done + FeedbackWindowMillis + 1, &OrderFeedback{Of: PartyRestaurant, Stars: 1}, ReasonFeedbackClosed},
		{"a late incident", "cust", done + FeedbackWindowMillis + 1, &IncidentReport{Category: "late"}, ReasonFeedbackClosed},
	} {
		if got := at(tc.who, tc.wall, tc.body); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
	s := w.order(r, place.ID)
	if len(s.Feedback) != 1 || s.Feedback[0].Stars != 5 {
		t.Fatalf("feedback %+v: want the restaurant's latest rating only", s.Feedback)
	}
}
