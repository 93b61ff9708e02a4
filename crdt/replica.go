package crdt

import (
	"slices"
	"sort"
)

// Status says what Apply did with an event.
type Status uint8

// Apply statuses.
const (
	// Stored: the event joined its scope's set. It may still have changed
	// nothing (a rule-breaking transition), which the scope state records.
	Stored Status = iota + 1
	// Duplicate: the event was already stored or pending.
	Duplicate
	// Pending: a parent, the scope root or the coop is missing; the event
	// waits and is applied when they arrive.
	Pending
	// Rejected: the event can never belong to this scope as sent (bad
	// Lamport, foreign parent, unauthorised author). It is not stored.
	Rejected
	// Stale: a replaceable document older than the version held. It is not
	// stored.
	Stale
)

var statusText = [...]string{"", "stored", "duplicate", "pending", "rejected", "stale"}

func (s Status) String() string {
	if int(s) < len(statusText) {
		return statusText[s]
	}
	return "unknown"
}

// ScopeRef names a scope whose state changed.
type ScopeRef struct {
	Class ScopeClass
	Coop  ID
	ID    ID // coop ID, order ID, or the catalogue owner's key as an ID
}

// Outcome is what Apply did: data for the caller to act on (effects as
// data). The caller persists Stored events and the ones in Released.
type Outcome struct {
	Status   Status
	Reason   Reason
	Changed  []ScopeRef
	Released []*Event // pending events that this one let in, in order applied
	Dropped  []ID     // stored events this one replaced; the caller deletes them
}

// Limits bound what a replica holds (SPEC.md §9).
type Limits struct {
	MaxOrderEvents int // events in one order's log
	MaxCoopEvents  int // events in one coop's log
	MaxPending     int // events waiting for a parent, over all scopes
	// CheckDocument, if set, judges the body of a catalogue document
	// (catalog.profile, catalog.menu) before it is folded: one it refuses
	// is Rejected with ReasonBadField (SPEC.md §5.3.3). Nodes set it to
	// market.ValidateDocument, the rules checkout applies; it must be pure.
	CheckDocument func(Payload) error
}

// MaxClaimsPerCourier bounds the claims one courier (a member, whichever of
// its keys signs) may have stored on one order (SPEC.md §9): claims beyond
// it are refused with too_many_claims.
const MaxClaimsPerCourier = 8

// DefaultLimits are the SPEC.md §9 values.
var DefaultLimits = Limits{MaxOrderEvents: 256, MaxCoopEvents: 100_000, MaxPending: 10_000}

// DocKey names a replaceable document: one per coop, owner and kind.
type DocKey struct {
	Coop  ID
	Owner PubKey
	Kind  Kind
}

type coopLog struct {
	events []*Event
	state  *CoopState
}

type orderLog struct {
	events []*Event
	state  *OrderState
}

// Replica holds every scope a node follows and their folded state. It is a
// plain data structure: one goroutine owns it.
type Replica struct {
	limits     Limits
	stored     map[ID]*Event
	pending    map[ID]*Event
	waiting    map[ID][]ID // missing dependency -> pending events
	coops      map[ID]*coopLog
	orders     map[ID]*orderLog
	coopOrders map[ID][]ID
	openOrders map[ID]map[ID]struct{} // coop → its open orders (open_index.go)
	docs       map[DocKey]*Event
	tombs      map[ID]int64 // archived order → until when it is remembered (archive.go)
	observe    func(e *Event, stored bool)
}

// Observe has f called whenever an event joins the stored set (stored
// true) or leaves it (false: a replaced document, an archived order's
// events), right as it happens, so that the owner can keep an index of
// the stored events (the node's reconciliation index, SPEC.md §8.6.2)
// without scanning them. f runs on the replica's goroutine and must not
// call back into the replica. Pending events are not stored.
func (r *Replica) Observe(f func(e *Event, stored bool)) { r.observe = f }

// setStored adds e to the stored set and tells the observer.
func (r *Replica) setStored(e *Event) {
	r.stored[e.ID] = e
	if r.observe != nil {
		r.observe(e, true)
	}
}

// unstore removes e from the stored set and tells the observer.
func (r *Replica) unstore(e *Event) {
	delete(r.stored, e.ID)
	if r.observe != nil {
		r.observe(e, false)
	}
}

// NewReplica returns an empty replica with the given limits; zero fields
// take DefaultLimits.
func NewReplica(l Limits) *Replica {
	if l.MaxOrderEvents == 0 {
		l.MaxOrderEvents = DefaultLimits.MaxOrderEvents
	}
	if l.MaxCoopEvents == 0 {
		l.MaxCoopEvents = DefaultLimits.MaxCoopEvents
	}
	if l.MaxPending == 0 {
		l.MaxPending = DefaultLimits.MaxPending
	}
	return &Replica{
		limits:     l,
		stored:     map[ID]*Event{},
		pending:    map[ID]*Event{},
		waiting:    map[ID][]ID{},
		coops:      map[ID]*coopLog{},
		orders:     map[ID]*orderLog{},
		coopOrders: map[ID][]ID{},
		openOrders: map[ID]map[ID]struct{}{},
		docs:       map[DocKey]*Event{},
		tombs:      map[ID]int64{},
	}
}

// Has reports whether the event is stored (not merely pending).
func (r *Replica) Has(id ID) bool { _, ok := r.stored[id]; return ok }

// Known reports whether the event is stored or pending.
func (r *Replica) Known(id ID) bool {
	_, p := r.pending[id]
	return p || r.Has(id)
}

// Event returns a stored event.
func (r *Replica) Event(id ID) (*Event, bool) { e, ok := r.stored[id]; return e, ok }

// Len returns the number of stored events.
func (r *Replica) Len() int { return len(r.stored) }

// PendingLen returns the number of events waiting for a dependency.
func (r *Replica) PendingLen() int { return len(r.pending) }

// Apply adds one verified event and folds it in. It never panics on any
// Event whose Body matches its Kind; a mismatch is rejected.
func (r *Replica) Apply(e *Event) Outcome {
	if r.Known(e.ID) || r.archivedScope(e) { // an archived order's events are never stored again (SPEC.md §4.5 rule 4)
		return Outcome{Status: Duplicate}
	}
	out := r.applyOne(e)
	if out.Status != Stored {
		return out
	}
	// let in whatever waited for this event, breadth first
	queue := []ID{e.ID}
	if e.Kind.IsRoot() {
		queue = append(queue, e.ScopeID())
	}
	for len(queue) > 0 {
		dep := queue[0]
		queue = queue[1:]
		ws := r.waiting[dep]
		delete(r.waiting, dep)
		sort.Slice(ws, func(i, j int) bool {
			return r.pending[ws[i]] != nil && r.pending[ws[j]] != nil && r.pending[ws[i]].Before(r.pending[ws[j]])
		})
		for _, id := range ws {
			p, ok := r.pending[id]
			if !ok {
				continue
			}
			delete(r.pending, id)
			sub := r.applyOne(p)
			switch sub.Status {
			case Stored:
				out.Released = append(out.Released, p)
				out.Changed = appendRefs(out.Changed, sub.Changed...)
				queue = append(queue, p.ID)
			case Pending:
				// re-queued on another missing dependency by applyOne
			}
		}
	}
	return out
}

func appendRefs(dst []ScopeRef, refs ...ScopeRef) []ScopeRef {
	for _, x := range refs {
		dup := false
		for _, y := range dst {
			if x == y {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, x)
		}
	}
	return dst
}

// missing returns the dependencies of e not yet stored.
func (r *Replica) missing(e *Event) []ID {
	var m []ID
	need := func(id ID) {
		if !r.Has(id) {
			m = append(m, id)
		}
	}
	switch e.Kind.Class() {
	case ScopeCoop:
		if e.Kind != KindCoopGenesis {
			need(e.Coop)
		}
	case ScopeCatalog:
		need(e.Coop)
		return m // replaceable: parents are hints only
	case ScopeOrder:
		need(e.Coop)
		if e.Kind != KindOrderPlace {
			need(e.Scope)
		}
	}
	for _, p := range e.Parents {
		need(p)
	}
	return m
}

func (r *Replica) park(e *Event, deps []ID) Outcome {
	if len(r.pending) >= r.limits.MaxPending {
		return Outcome{Status: Rejected, Reason: ReasonScopeFull}
	}
	r.pending[e.ID] = e
	for _, d := range deps {
		r.waiting[d] = append(r.waiting[d], e.ID)
	}
	return Outcome{Status: Pending}
}

// Precheck runs the checks Apply would run before storing an event whose
// dependencies are present, without changing anything: structure, causal
// Lamport rule, and authority. Pending is returned when a dependency is
// missing. Validators call it (SPEC.md §6.3).
func (r *Replica) Precheck(e *Event) (Status, Reason) {
	if r.Known(e.ID) || r.archivedScope(e) {
		return Duplicate, ReasonOK
	}
	if e.Body == nil || e.Body.Kind() != e.Kind {
		return Rejected, ReasonWrongBody
	}
	if rs := structural(e); rs != ReasonOK {
		return Rejected, rs
	}
	if e.Kind.Class() == ScopeCatalog && r.limits.CheckDocument != nil && r.limits.CheckDocument(e.Body) != nil {
		return Rejected, ReasonBadField
	}
	if deps := r.missing(e); len(deps) > 0 {
		return Pending, ReasonOK
	}
	if rs := r.scopesExist(e); rs != ReasonOK {
		return Rejected, rs
	}
	if rs := r.causal(e); rs != ReasonOK {
		return Rejected, rs
	}
	if rs := r.authorize(e); rs != ReasonOK {
		return Rejected, rs
	}
	if rs := r.claimCap(e); rs != ReasonOK {
		return Rejected, rs
	}
	if e.Kind.Class() == ScopeCatalog {
		if cur, ok := r.docs[DocKey{Coop: e.Coop, Owner: PubKey(e.Scope), Kind: e.Kind}]; ok && !cur.Before(e) {
			return Stale, ReasonOK
		}
	}
	return Stored, ReasonOK
}

// structural checks what needs no other event (SPEC.md §4.2).
func structural(e *Event) Reason {
	root := e.Kind.IsRoot()
	switch {
	case e.Kind.Class() == ScopeNone:
		return ReasonWrongBody
	case root && (!e.Scope.IsZero() || len(e.Parents) != 0 || e.Lamport != 1):
		return ReasonWrongScope
	case e.Kind == KindCoopGenesis && !e.Coop.IsZero():
		return ReasonWrongScope
	case e.Kind != KindCoopGenesis && e.Coop.IsZero():
		return ReasonWrongScope
	case e.Kind.Class() == ScopeCoop && !root && e.Scope != e.Coop:
		return ReasonWrongScope
	case !root && e.Scope.IsZero():
		return ReasonWrongScope
	case !root && e.Kind.Class() != ScopeCatalog && len(e.Parents) == 0:
		return ReasonWrongScope
	case e.Lamport == 0:
		return ReasonBadLamport
	}
	for i := 1; i < len(e.Parents); i++ {
		if e.Parents[i-1].Compare(e.Parents[i]) >= 0 {
			return ReasonBadField
		}
	}
	if e.Author.SmallOrder() || slices.ContainsFunc(AdmittedKeys(e.Body), PubKey.SmallOrder) {
		return ReasonSmallOrderKey
	}
	return ReasonOK
}

// AdmittedKeys lists the keys a payload admits to sign events later: a
// genesis's admins, an admitted member, a linked device (SPEC.md §3.3).
// A zero key is left out: it encodes an absent field, which the fold
// refuses as bad_field, and it can never author (SPEC.md §3.4 step 7).
func AdmittedKeys(p Payload) []PubKey {
	var ks []PubKey
	switch b := p.(type) {
	case *CoopGenesis:
		ks = b.Admins
	case *MemberAdmit:
		ks = []PubKey{b.Member}
	case *DeviceLink:
		ks = []PubKey{b.Device}
	}
	return slices.DeleteFunc(slices.Clone(ks), PubKey.IsZero)
}

// scopesExist checks that the coop and scope an event names are stored
// events of the right class, not merely some stored event (SPEC.md §4.2).
func (r *Replica) scopesExist(e *Event) Reason {
	if e.Kind == KindCoopGenesis {
		return ReasonOK
	}
	if cl, ok := r.coops[e.Coop]; !ok || cl == nil {
		return ReasonWrongScope
	}
	if e.Kind.Class() == ScopeOrder && e.Kind != KindOrderPlace {
		if ol, ok := r.orders[e.Scope]; !ok || ol == nil || ol.state.Coop != e.Coop {
			return ReasonWrongScope
		}
	}
	return ReasonOK
}

// causal checks parents: in the same scope, and Lamport = 1 + max parent.
func (r *Replica) causal(e *Event) Reason {
	if e.Kind.IsRoot() || e.Kind.Class() == ScopeCatalog {
		return ReasonOK
	}
	var max uint64
	for _, pid := range e.Parents {
		p := r.stored[pid]
		if p.ScopeID() != e.Scope {
			return ReasonParentOutside
		}
		if p.Lamport > max {
			max = p.Lamport
		}
	}
	if e.Lamport != max+1 {
		return ReasonBadLamport
	}
	return ReasonOK
}

// authorize checks the order-independent authority rules of SPEC.md §6.3.
func (r *Replica) authorize(e *Event) Reason {
	switch e.Kind.Class() {
	case ScopeCoop:
		if e.Kind == KindCoopGenesis {
			return ReasonOK // checked by the coop fold, which owns the genesis
		}
		c := r.coops[e.Coop].state
		if e.Kind == KindDeviceLink || e.Kind == KindDeviceRevoke {
			// a member manages its own devices; admins anyone's
			var member PubKey
			switch b := e.Body.(type) {
			case *DeviceLink:
				member = b.Member
			case *DeviceRevoke:
				member = b.Member
			}
			if k, ok := c.MemberKey(e.Author, e.Wall); ok && k == member {
				return ReasonOK
			}
			if !c.HasRole(e.Author, e.Wall, RoleAdmin) {
				return c.authorityReason(e.Author, e.Wall, ReasonNotAdmin)
			}
			return ReasonOK
		}
		// proposals, votes and delegations need a member; so does an
		// enactment naming a proposal, whose authority is the vote
		// (SPEC.md §19.6); the rest of the coop log needs an admin
		// (SPEC.md §19.6); shift events need a member, and the fold judges
		// their roles (SPEC.md §21.1.4)
		if e.Kind == KindProposalOpen || e.Kind == KindVoteCast || e.Kind == KindVoteDelegate || !enacts(e.Body).IsZero() ||
			isShiftKind(e.Kind) {
			_, rs := c.Resolve(e.Author, e.Wall)
			return rs
		}
		if !c.HasRole(e.Author, e.Wall, RoleAdmin) {
			return c.authorityReason(e.Author, e.Wall, ReasonNotAdmin)
		}
	case ScopeCatalog:
		c := r.coops[e.Coop].state
		m, rs := c.Resolve(e.Author, e.Wall)
		if rs != ReasonOK {
			return rs
		}
		if ID(m.Key) != e.Scope {
			return ReasonNotOwner
		}
		if !m.RolesAt(e.Wall).Any(RoleRestaurant | RoleShop) {
			return ReasonNotRestaurant
		}
	case ScopeOrder:
		c := r.coops[e.Coop].state
		if e.Kind == KindOrderPlace {
			p, _ := e.Body.(*OrderPlace)
			return checkPlace(e, p, c)
		}
		return r.orders[e.Scope].state.Authorize(e, c)
	}
	return ReasonOK
}

// claimCap refuses a claim when its courier (the member its author acts
// for) already has MaxClaimsPerCourier claims stored on the order, so that
// no courier can fill an order's log with claims up to MaxOrderEvents
// (SPEC.md §9, §15.3). An honest courier, which claims again only after
// losing or releasing, never meets the cap. Which of a courier's claims
// beyond it a node holds depends on arrival order: only a courier breaking
// the cap can make nodes hold different claims of an order.
func (r *Replica) claimCap(e *Event) Reason {
	if e.Kind != KindCourierClaim {
		return ReasonOK
	}
	coop := r.coops[e.Coop].state
	member, ok := coop.MemberKey(e.Author, e.Wall)
	if !ok {
		return ReasonOK // authorize has refused it already
	}
	n := 0
	for _, x := range r.orders[e.Scope].events {
		if x.Kind != KindCourierClaim {
			continue
		}
		if k, ok := coop.MemberKey(x.Author, x.Wall); ok && k == member {
			n++
		}
	}
	if n >= MaxClaimsPerCourier {
		return ReasonTooManyClaims
	}
	return ReasonOK
}

// applyOne stores and folds one event whose duplicates were ruled out.
func (r *Replica) applyOne(e *Event) Outcome {
	st, rs := r.Precheck(e)
	switch st {
	case Pending:
		return r.park(e, r.missing(e))
	case Rejected, Duplicate, Stale:
		return Outcome{Status: st, Reason: rs}
	}
	switch e.Kind.Class() {
	case ScopeCoop:
		return r.applyCoop(e)
	case ScopeCatalog:
		return r.applyDoc(e)
	default:
		return r.applyOrder(e)
	}
}

func insertSorted(evs []*Event, e *Event) ([]*Event, bool) {
	i := sort.Search(len(evs), func(i int) bool { return e.Before(evs[i]) })
	evs = append(evs, nil)
	copy(evs[i+1:], evs[i:])
	evs[i] = e
	return evs, i == len(evs)-1
}

func (r *Replica) applyCoop(e *Event) Outcome {
	id := e.ScopeID()
	cl := r.coops[id]
	if cl == nil {
		cl = &coopLog{state: newCoopState(id)}
		r.coops[id] = cl
	}
	if len(cl.events) >= r.limits.MaxCoopEvents {
		return Outcome{Status: Rejected, Reason: ReasonScopeFull}
	}
	r.setStored(e)
	var atEnd bool
	cl.events, atEnd = insertSorted(cl.events, e)
	if atEnd && !cl.state.mustRefold(e) {
		cl.state.index(e)
		cl.state.apply(e)
	} else {
		cl.state = foldCoop(id, cl.events)
	}
	changed := []ScopeRef{{Class: ScopeCoop, Coop: id, ID: id}}
	// authority in orders depends on membership: refold the coop's orders
	for _, oid := range r.coopOrders[id] {
		if r.refoldOrder(oid) {
			changed = append(changed, ScopeRef{Class: ScopeOrder, Coop: id, ID: oid})
		}
	}
	return Outcome{Status: Stored, Changed: changed}
}

func (r *Replica) applyDoc(e *Event) Outcome {
	k := DocKey{Coop: e.Coop, Owner: PubKey(e.Scope), Kind: e.Kind}
	out := Outcome{Status: Stored, Changed: []ScopeRef{{Class: ScopeCatalog, Coop: e.Coop, ID: e.Scope}}}
	if cur, ok := r.docs[k]; ok {
		if !cur.Before(e) {
			return Outcome{Status: Stale}
		}
		r.unstore(cur) // replaced versions are dropped (SPEC.md §4.4)
		out.Dropped = []ID{cur.ID}
	}
	r.setStored(e)
	r.docs[k] = e
	return out
}

func (r *Replica) applyOrder(e *Event) Outcome {
	oid := e.ScopeID()
	coop := r.coops[e.Coop].state
	if e.Kind == KindOrderPlace {
		r.setStored(e)
		r.orders[oid] = &orderLog{events: []*Event{e}, state: newOrderState(e, coop)}
		r.coopOrders[e.Coop] = append(r.coopOrders[e.Coop], oid)
		r.indexOrder(e.Coop, oid)
		return Outcome{Status: Stored, Changed: []ScopeRef{{Class: ScopeOrder, Coop: e.Coop, ID: oid}}}
	}
	ol := r.orders[oid]
	if len(ol.events) >= r.limits.MaxOrderEvents {
		return Outcome{Status: Rejected, Reason: ReasonScopeFull}
	}
	r.setStored(e)
	var atEnd bool
	ol.events, atEnd = insertSorted(ol.events, e)
	if atEnd {
		ol.state.apply(e, coop)
		r.indexOrder(e.Coop, oid)
	} else {
		r.refoldOrder(oid)
	}
	return Outcome{Status: Stored, Changed: []ScopeRef{{Class: ScopeOrder, Coop: e.Coop, ID: oid}}}
}

// refoldOrder recomputes an order from its sorted log and reports whether
// its hash changed.
func (r *Replica) refoldOrder(oid ID) bool {
	ol := r.orders[oid]
	before := ol.state.Hash()
	ol.state = foldOrder(ol.events, r.coops[ol.events[0].Coop].state)
	r.indexOrder(ol.events[0].Coop, oid)
	return ol.state.Hash() != before
}

// foldOrder folds a sorted order log whose first event is the place.
func foldOrder(evs []*Event, coop *CoopState) *OrderState {
	s := newOrderState(evs[0], coop)
	for _, e := range evs[1:] {
		s.apply(e, coop)
	}
	return s
}

// distinctInOrder returns events without repeated IDs, sorted by Before:
// the input of the reference folds (FoldCoop, FoldOrder).
func distinctInOrder(events []*Event) []*Event {
	seen := map[ID]bool{}
	var evs []*Event
	for _, e := range events {
		if !seen[e.ID] {
			seen[e.ID] = true
			evs = append(evs, e)
		}
	}
	sort.Slice(evs, func(i, j int) bool { return evs[i].Before(evs[j]) })
	return evs
}

// FoldOrder folds an order's events given in any order, without a replica:
// the reference fold that property tests compare against. Events whose
// place is missing give nil.
func FoldOrder(events []*Event, coop *CoopState) *OrderState {
	evs := distinctInOrder(events)
	if len(evs) == 0 || evs[0].Kind != KindOrderPlace {
		return nil
	}
	return foldOrder(evs, coop)
}

// Simulate reports whether e would change state if applied now, without
// applying it: the Precheck reason, or the reason the fold would leave it
// out. Nodes call it on their own events so that a rule-breaking action is
// refused before it is signed into the record (SPEC.md §12.1).
func (r *Replica) Simulate(e *Event) Reason {
	st, rs := r.Precheck(e)
	switch st {
	case Rejected:
		return rs
	case Duplicate:
		return ReasonDuplicate
	case Stale, Pending:
		return ReasonBadTransition
	}
	var rej []Rejection
	switch e.Kind.Class() {
	case ScopeOrder:
		if e.Kind == KindOrderPlace {
			return ReasonOK
		}
		ol := r.orders[e.Scope]
		evs, _ := insertSorted(append([]*Event(nil), ol.events...), e)
		rej = foldOrder(evs, r.coops[e.Coop].state).Rejected
	case ScopeCoop:
		if e.Kind == KindCoopGenesis {
			s := newCoopState(e.ID)
			s.apply(e)
			rej = s.Rejected
			break
		}
		cl := r.coops[e.Coop]
		evs, _ := insertSorted(append([]*Event(nil), cl.events...), e)
		rej = foldCoop(e.Coop, evs).Rejected
	}
	for _, x := range rej {
		if x.Event == e.ID {
			return x.Reason
		}
	}
	return ReasonOK
}
