package demo

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"sync"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// ---- orders ----

// plan decides an order: who orders where, the tip, which couriers race
// for it (force is always one of them), and the pace of the people.
func (r *run) plan(no int, online []*participant, force *participant, late bool) *orderPlan {
	pl := &orderPlan{
		no:         no,
		customer:   r.customers[(r.custBase+no)%len(r.customers)],
		restaurant: r.restaurants[r.rng.Intn(len(r.restaurants))],
		rng:        rand.New(rand.NewSource(r.seed*7919 + int64(no))),
		tip:        tipChoices[r.rng.Intn(len(tipChoices))],
		prepExtra:  uint32(r.rng.Intn(6)),
		note:       fmt.Sprintf("%s (order #%d)", deliveryNotes[r.rng.Intn(len(deliveryNotes))], no),
		done:       make(chan error, 1),
		pace: [5]time.Duration{r.span(100*time.Millisecond, 250*time.Millisecond),
			r.span(60*time.Millisecond, 150*time.Millisecond), r.span(400*time.Millisecond, 800*time.Millisecond),
			r.span(80*time.Millisecond, 200*time.Millisecond), r.span(300*time.Millisecond, 700*time.Millisecond)},
	}
	if late {
		pl.late, pl.parked = make(chan []*participant, 1), make(chan struct{}, 1)
		return pl
	}
	// How many couriers race: 1 (40 %), 2 (40 %) or 3 (20 %); at least two
	// on the very first order, so the demo always shows a conflict.
	k := 1
	switch x := r.rng.Intn(10); {
	case x >= 8:
		k = 3
	case x >= 4:
		k = 2
	}
	if no == 1 {
		k = max(k, 2)
	}
	k = min(k, len(online))
	for _, i := range r.rng.Perm(len(online))[:k] {
		pl.claimants = append(pl.claimants, online[i])
	}
	if force != nil && !slices.Contains(pl.claimants, force) {
		if len(pl.claimants) > 0 {
			pl.claimants[0] = force
		} else {
			pl.claimants = []*participant{force}
		}
	}
	return pl
}

// launch starts the orders' goroutines, a few hundred milliseconds apart so
// that they overlap like a lunch rush without drowning the timeline.
func (r *run) launch(plans []*orderPlan) {
	for i, pl := range plans {
		if i > 0 {
			if pause(r.ctx, r.span(250*time.Millisecond, 450*time.Millisecond)) != nil {
				pl.done <- r.err()
				continue
			}
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			err := r.runOrder(pl)
			r.fail(err)
			pl.done <- err
		}()
	}
}

func (r *run) waitOne(pl *orderPlan) error {
	select {
	case err := <-pl.done:
		return err
	case <-r.ctx.Done():
		return r.err()
	}
}

func (r *run) launchAndWait(plans []*orderPlan) error {
	r.launch(plans)
	for _, pl := range plans {
		if err := r.waitOne(pl); err != nil {
			return r.stop(err)
		}
	}
	return nil
}

// runOrder plays one order from the customer's browse to the doorstep.
func (r *run) runOrder(pl *orderPlan) (err error) {
	ctx := r.ctx
	cust, resto := pl.customer, pl.restaurant
	defer func() {
		if err != nil && !errors.Is(err, context.Canceled) {
			err = fmt.Errorf("demo: order #%d: %w", pl.no, err)
		}
	}()

	// The customer browses the catalogue on their own node.
	rs, err := cust.n.Restaurants(ctx)
	if err != nil {
		return err
	}
	var prof *crdt.CatalogProfile
	var menu *crdt.CatalogMenu
	for _, x := range rs {
		if x.Key == crdt.PubKey(resto.pubKey()) {
			prof, menu = x.Profile, x.Menu
		}
	}
	if prof == nil || menu == nil {
		return fmt.Errorf("%s does not see %s's menu", cust.name, resto.name)
	}
	c := fillCart(pl.rng, menu, prof.MinOrderCents)
	if len(c.Items) == 0 {
		return fmt.Errorf("%s's menu has nothing available", resto.name)
	}
	dist := int(market.DistanceM(prof.Position, cust.pos))
	var items int64
	for _, li := range c.Items {
		items += li.TotalCents
	}
	fee := deliveryFeeCents(dist)
	totals := crdt.Totals{ItemsCents: items, DeliveryCents: fee, TipCents: pl.tip,
		TaxCents: c.Tax + includedTax(fee, taxService), TotalCents: items + fee + pl.tip}
	pin := fmt.Sprintf("%04d", pl.rng.Intn(10_000))
	pinHash := crdt.PINHash(cust.n.Key(), pin)
	place := crdt.OrderPlace{Restaurant: crdt.PubKey(resto.pubKey()), Fulfilment: crdt.FulfilDelivery, Items: c.Items, Totals: totals,
		Pickup: prof.Position, DropoffArea: coarse(cust.pos), DistanceM: uint32(dist), PINHash: pinHash[:], Note: pl.note}
	id, err := cust.n.PlaceUnpriced(ctx, place)
	if err != nil {
		return err
	}
	placedAt := time.Now()
	tip := ""
	if pl.tip > 0 {
		tip = " incl. " + euros(pl.tip) + " tip"
	}
	r.tl.say(cust.name, "ordered %s at %s — %s%s  [order %s]", c.Text, resto.name, euros(totals.TotalCents), tip, id.Short())

	// The restaurant sees it on its node and accepts.
	if _, err := waitOrder(ctx, resto.n, id, stepTimeout, func(*crdt.OrderState) bool { return true }); err != nil {
		return fmt.Errorf("%s never saw order %s: %w", resto.name, id.Short(), err)
	}
	if err := pause(ctx, pl.pace[0]); err != nil {
		return err
	}
	prep := resto.cuisine.Prep + pl.prepExtra
	if err := resto.n.Accept(ctx, id, prep); err != nil {
		return err
	}
	r.tl.say(resto.name, "accepted order %s (ready in %d min)", id.Short(), prep)
	kitchen := make(chan error, 1)
	go func() { kitchen <- r.kitchen(pl, id) }()
	defer func() {
		if kerr := <-kitchen; err == nil {
			err = kerr
		}
	}()

	claimants := pl.claimants
	if pl.late != nil {
		pl.parked <- struct{}{}
		select {
		case claimants = <-pl.late:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	winner, err := r.claimRace(pl, id, claimants)
	if err != nil {
		return err
	}

	// The winner rides to the restaurant, waits for the food, delivers.
	w := winner.n
	if err := w.StartTask(ctx, id, crdt.TaskPickupN); err != nil {
		return err
	}
	if _, err := waitOrder(ctx, w, id, lateTimeout, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady }); err != nil {
		return fmt.Errorf("%s never saw order %s ready: %w", winner.name, id.Short(), err)
	}
	if err := pause(ctx, pl.pace[3]); err != nil {
		return err
	}
	if err := w.Pickup(ctx, id); err != nil {
		return err
	}
	r.tl.say(winner.name, "picked up order %s at %s, riding %s to %s", id.Short(), resto.name, humanDistance(dist), cust.name)
	if err := w.StartTask(ctx, id, crdt.TaskDropoffN); err != nil {
		return err
	}
	if err := pause(ctx, pl.pace[4]); err != nil {
		return err
	}
	photo := sha256.Sum256([]byte(fmt.Sprintf("doorstep photo: order %s handed to %s", id, cust.name)))
	if err := w.Deliver(ctx, id, crdt.Proof{Recipient: cust.name, PhotoHash: photo[:], PIN: pin}); err != nil {
		return err
	}
	r.tl.say(winner.name, "delivered order %s to %s (PIN ✓, photo %x…)", id.Short(), cust.name, photo[:4])
	r.mu.Lock()
	r.lastDeliv = time.Now()
	r.mu.Unlock()

	// The customer's own node shows it delivered.
	if _, err := waitOrder(ctx, cust.n, id, stepTimeout, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered }); err != nil {
		return fmt.Errorf("%s never saw order %s delivered: %w", cust.name, id.Short(), err)
	}
	r.tl.say(cust.name, "got order %s: %.1f s from ordering to the doorstep", id.Short(), time.Since(placedAt).Seconds())
	return nil
}

// kitchen starts cooking and marks the order ready, on the restaurant's node.
func (r *run) kitchen(pl *orderPlan, id crdt.ID) error {
	ctx, resto := r.ctx, pl.restaurant
	if err := pause(ctx, pl.pace[1]); err != nil {
		return err
	}
	if err := resto.n.StartPreparing(ctx, id); err != nil {
		return fmt.Errorf("demo: order #%d: start preparing: %w", pl.no, err)
	}
	if err := pause(ctx, pl.pace[2]); err != nil {
		return err
	}
	if err := resto.n.Ready(ctx, id); err != nil {
		return fmt.Errorf("demo: order #%d: mark ready: %w", pl.no, err)
	}
	r.tl.say(resto.name, "order %s is ready for pickup", id.Short())
	return nil
}

type claimResult struct {
	claim crdt.ID
	res   node.ClaimResult
	err   error
	took  time.Duration
}

// claimRace has the claimants claim the order at the same moment, each on
// its own node, and each learn the outcome there with AwaitClaim.
func (r *run) claimRace(pl *orderPlan, id crdt.ID, claimants []*participant) (*participant, error) {
	ctx := r.ctx
	for _, c := range claimants {
		if _, err := waitOrder(ctx, c.n, id, stepTimeout, func(s *crdt.OrderState) bool {
			return s.Status == crdt.StatusAccepted || s.Status == crdt.StatusPreparing || s.Status == crdt.StatusReady
		}); err != nil {
			return nil, fmt.Errorf("%s never saw order %s as a job: %w", c.name, id.Short(), err)
		}
	}
	results := make([]claimResult, len(claimants))
	start := make(chan struct{})
	var claimed, settled sync.WaitGroup
	claimed.Add(len(claimants))
	settled.Add(len(claimants))
	for i, c := range claimants {
		go func() {
			defer settled.Done()
			<-start
			cid, err := c.n.Claim(ctx, id, c.pos)
			at := time.Now()
			results[i].claim, results[i].err = cid, err
			claimed.Done()
			if err != nil {
				return
			}
			actx, cancel := context.WithTimeout(ctx, stepTimeout)
			defer cancel()
			res, err := c.n.AwaitClaim(actx, id, cid)
			results[i].res, results[i].err, results[i].took = res, err, time.Since(at)
		}()
	}
	close(start)
	claimed.Wait()
	names := make([]string, len(claimants))
	for i, c := range claimants {
		names[i] = c.name
	}
	switch len(claimants) {
	case 1:
		c := claimants[0]
		r.tl.say(c.name, "claimed order %s (%s from %s)", id.Short(), humanDistance(int(market.DistanceM(c.pos, pl.restaurant.pos))), pl.restaurant.name)
	case 2:
		r.tl.say("couriers", "%s both claimed order %s at the same moment", joinNames(names), id.Short())
	default:
		r.tl.say("couriers", "%s all claimed order %s at the same moment", joinNames(names), id.Short())
	}
	settled.Wait()

	var winner *participant
	var lost []string
	for i, c := range claimants {
		res := results[i]
		if res.err != nil {
			return nil, fmt.Errorf("%s's claim on %s: %w", c.name, id.Short(), res.err)
		}
		if res.res.Won {
			if winner != nil {
				return nil, fmt.Errorf("order %s: both %s and %s think they won", id.Short(), winner.name, c.name)
			}
			winner = c
		} else {
			lost = append(lost, c.name)
		}
	}
	if winner == nil {
		return nil, fmt.Errorf("order %s: no claimant won", id.Short())
	}
	for i, c := range claimants {
		if c != winner && results[i].res.Winner != crdt.PubKey(winner.pubKey()) {
			return nil, fmt.Errorf("order %s: %s lost to someone other than %s", id.Short(), c.name, winner.name)
		}
	}
	by := "confirmed"
	if s, err := winner.n.Order(ctx, id); err == nil {
		for _, st := range s.Steps {
			if st.Kind == crdt.KindCourierAssign && st.Author == crdt.PubKey(pl.restaurant.pubKey()) {
				by = "confirmed by " + pl.restaurant.name
			}
		}
	}
	msg := fmt.Sprintf("won order %s (%s)", id.Short(), by)
	if len(lost) > 0 {
		msg += fmt.Sprintf("; %s lost to %s", joinNames(lost), winner.name)
	}
	r.tl.say(winner.name, "%s", msg)
	r.mu.Lock()
	r.claims += len(claimants)
	for _, res := range results {
		r.claimWaits = append(r.claimWaits, res.took)
	}
	r.mu.Unlock()
	return winner, nil
}
