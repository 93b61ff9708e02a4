package market

import (
	"fmt"
	"sort"

	"github.com/coopnode/coopnode/crdt"
)

// Reputation (SPEC.md §21.4.4): a member's record as a courier or a
// restaurant over a period, aggregated from the orders' ratings and
// incidents by rules that keep one rater, a slow kitchen or a grudge from
// moving it. A pure function, so every node shows the same figures.

// MinRaters is how many distinct raters a mean needs before it is shown.
const MinRaters = 3

// OnTimeMarginMillis is how late after the kitchen's expected ready time a
// delivery without a slot may arrive and still be on time: 30 minutes.
const OnTimeMarginMillis = 30 * 60 * 1000

// Reputation is a member's aggregated record over [From, To) (wall ms).
type Reputation struct {
	Member crdt.PubKey `json:"member"`
	As     uint8       `json:"as"` // crdt.PartyCourier or crdt.PartyRestaurant
	From   int64       `json:"from"`
	To     int64       `json:"to"`
	// Jobs counts orders finished in the period: for a courier those it
	// carried (delivered or failed after pickup), for a restaurant those
	// delivered or fulfilled.
	Jobs      int `json:"jobs"`
	Delivered int `json:"delivered"`
	OnTime    int `json:"on_time"`
	// Ratings counts the ratings that count; Raters the distinct raters
	// behind them; Excluded the ratings left out, by reason.
	Ratings  int            `json:"ratings"`
	Raters   int            `json:"raters"`
	Excluded map[string]int `json:"excluded,omitempty"`
	// MeanCentiStars is the mean of the raters' own means, in hundredths
	// of a star (471 = 4.71), rounded half up; 0 when Shown is false.
	MeanCentiStars int64 `json:"mean_centistars"`
	Shown          bool  `json:"shown"`
	// Incidents counts incidents reported against the member.
	Incidents    int `json:"incidents"`
	ShiftsWorked int `json:"shifts_worked"`
	// Why states the rules applied.
	Why []string `json:"why"`
}

// Exclusion reasons of a rating (SPEC.md §21.4.4).
const (
	ExcludedKitchenDelay = "kitchen_delay" // a courier rated on an order the kitchen delayed
	ExcludedRetaliation  = "retaliation"   // a rating after the rated reported an incident against the rater
)

// OnTime reports whether a delivered order arrived on time: by its slot's
// end, else within OnTimeMarginMillis of the kitchen's expected ready time.
func OnTime(s *crdt.OrderState) bool {
	if s.Status != crdt.StatusDelivered {
		return false
	}
	deadline := s.ExpectedReadyAt() + OnTimeMarginMillis
	if s.Place.Slot.End != 0 {
		deadline = s.Place.Slot.End
	}
	return s.Dropoff.DoneAt <= deadline
}

// rating is one rating of the member: by whom, as which party, stars, when.
type rating struct {
	by    crdt.PubKey
	from  uint8
	stars int64
	at    int64
}

// ratingsOf lists the ratings of party `as` on one order: the customer's
// order.rate and the other parties' order.feedback.
func ratingsOf(s *crdt.OrderState, as uint8) []rating {
	var out []rating
	if r := s.Rating; r != nil {
		st := r.CourierStars
		if as == crdt.PartyRestaurant {
			st = r.RestaurantStars
		}
		if st != 0 {
			out = append(out, rating{by: s.Customer, from: crdt.PartyCustomer, stars: int64(st), at: r.At})
		}
	}
	for _, f := range s.Feedback {
		if f.Of == as {
			out = append(out, rating{by: f.By, from: f.From, stars: int64(f.Stars), at: f.At})
		}
	}
	return out
}

// ReputationOf aggregates member k's record as party `as` (courier or
// restaurant) over the orders finished in [from, to) (SPEC.md §21.4.4):
//
//  1. only the orders' parties rate, within the feedback window (the fold);
//  2. a courier's rating on an order the kitchen delayed is not counted;
//  3. a rating signed after the rated party reported an incident against
//     the rater on that order is not counted;
//  4. one voice per rater: each rater's ratings are averaged first, and the
//     mean is the mean of those averages, shown from MinRaters raters on.
func ReputationOf(coop *crdt.CoopState, orders []*crdt.OrderState, k crdt.PubKey, as uint8, from, to int64) (Reputation, error) {
	if as != crdt.PartyCourier && as != crdt.PartyRestaurant {
		return Reputation{}, fmt.Errorf("%w: reputation as party %d (want 1 courier or 2 restaurant)", ErrBadFilter, as)
	}
	rep := Reputation{Member: k, As: as, From: from, To: to, Excluded: map[string]int{}}
	type acc struct{ sum, n int64 }
	by := map[crdt.PubKey]*acc{}
	for _, s := range orders {
		if s == nil {
			continue
		}
		done := s.FinishedAt()
		if done == 0 || done < from || done >= to {
			continue
		}
		switch {
		case as == crdt.PartyCourier && s.Holder == k && s.Pickup.Status == crdt.TaskDone:
		case as == crdt.PartyRestaurant && s.Restaurant == k && !s.Place.Parcel && (s.Status == crdt.StatusDelivered || s.Status == crdt.StatusFulfilled):
		default:
			continue
		}
		rep.Jobs++
		if s.Status == crdt.StatusDelivered {
			rep.Delivered++
			if OnTime(s) {
				rep.OnTime++
			}
		}
		for _, x := range s.Incidents {
			if x.Against == as {
				rep.Incidents++
			}
		}
		for _, r := range ratingsOf(s, as) {
			if as == crdt.PartyCourier && s.DelayMinutes > 0 {
				rep.Excluded[ExcludedKitchenDelay]++
				continue
			}
			retaliation := false
			for _, x := range s.Incidents {
				if x.From == as && x.Against == r.from && x.At < r.at {
					retaliation = true
				}
			}
			if retaliation {
				rep.Excluded[ExcludedRetaliation]++
				continue
			}
			a := by[r.by]
			if a == nil {
				a = &acc{}
				by[r.by] = a
			}
			a.sum += r.stars
			a.n++
			rep.Ratings++
		}
	}
	rep.Raters = len(by)
	if rep.Raters >= MinRaters {
		raters := make([]crdt.PubKey, 0, len(by))
		for r := range by {
			raters = append(raters, r)
		}
		sort.Slice(raters, func(i, j int) bool { return crdt.ID(raters[i]).Compare(crdt.ID(raters[j])) < 0 })
		var total int64
		for _, r := range raters {
			total += divHalfUp(by[r].sum*100, by[r].n)
		}
		rep.MeanCentiStars, rep.Shown = divHalfUp(total, int64(len(raters))), true
	}
	if as == crdt.PartyCourier && coop != nil {
		for _, sh := range coop.SortedShifts() {
			if sh.Plan.End > from && sh.Plan.End <= to && sh.Seated(k) {
				rep.ShiftsWorked++
			}
		}
	}
	if len(rep.Excluded) == 0 {
		rep.Excluded = nil
	}
	rep.Why = []string{
		"only the order's parties rate it, within 14 days of its end",
		"each rater counts once: its ratings are averaged before the mean of raters",
		fmt.Sprintf("a mean is shown from %d raters on", MinRaters),
	}
	if as == crdt.PartyCourier {
		rep.Why = append(rep.Why, "a courier's rating on an order the kitchen delayed does not count")
	}
	rep.Why = append(rep.Why, "a rating given after the rated party reported an incident against the rater does not count")
	return rep, nil
}
