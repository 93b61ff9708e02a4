package node

import (
	"context"
	"fmt"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// The role APIs (SPEC.md §12.4). Each action runs on the loop, is checked
// against the fold before it is signed, and is persisted before it is
// published. Authority is the coop's: a courier node calling Accept gets a
// *RefusedError with the reason, not a published event.

func (n *Node) act(ctx context.Context, kind crdt.Kind, scope crdt.ID, body crdt.Payload) (crdt.ID, error) {
	var id crdt.ID
	err := n.do(ctx, func() error {
		e, err := n.emit(kind, scope, body)
		if err != nil {
			return err
		}
		id = e.ID
		return nil
	})
	return id, err
}

func (n *Node) orderAct(ctx context.Context, order crdt.ID, body crdt.Payload) error {
	_, err := n.act(ctx, body.Kind(), order, body)
	return err
}

// ---- cooperative ----

// Found founds a cooperative with this node's key as its first admin, and
// follows it.
func (n *Node) Found(ctx context.Context, g crdt.CoopGenesis) (crdt.ID, error) {
	var id crdt.ID
	err := n.do(ctx, func() error {
		if !n.cfg.coop.IsZero() {
			return errorf(ErrBadArgument, "this node already belongs to coop %s", n.cfg.coop.Short())
		}
		if len(g.Admins) == 0 {
			g.Admins = []crdt.PubKey{n.self}
		}
		e, err := n.emit(crdt.KindCoopGenesis, crdt.ID{}, &g)
		if err != nil {
			return err
		}
		id = e.ID
		n.cfg.coop = id
		if err := n.joinTopics(id); err != nil {
			return err
		}
		return n.store.PutMeta(n.ctx, "coop", id[:])
	})
	return id, err
}

// Join follows an existing cooperative and syncs with connected peers.
func (n *Node) Join(ctx context.Context, coop crdt.ID) error {
	err := n.do(ctx, func() error {
		if n.cfg.coop == coop {
			return nil
		}
		if !n.cfg.coop.IsZero() {
			return errorf(ErrBadArgument, "this node already belongs to coop %s", n.cfg.coop.Short())
		}
		n.cfg.coop = coop
		if err := n.joinTopics(coop); err != nil {
			return err
		}
		return n.store.PutMeta(n.ctx, "coop", coop[:])
	})
	if err == nil {
		n.syncAll()
	}
	return err
}

// Admit admits a member or changes its roles (admins only).
func (n *Node) Admit(ctx context.Context, member crdt.PubKey, roles crdt.Roles, name string) error {
	_, err := n.act(ctx, crdt.KindMemberAdmit, n.Coop(), &crdt.MemberAdmit{Member: member, Roles: roles, Name: name})
	return err
}

// Revoke ends a membership (admins only).
func (n *Node) Revoke(ctx context.Context, member crdt.PubKey, reason string) error {
	_, err := n.act(ctx, crdt.KindMemberRevoke, n.Coop(), &crdt.MemberRevoke{Member: member, Reason: reason})
	return err
}

// LinkDevice lets another key act for member (the member itself or an admin).
func (n *Node) LinkDevice(ctx context.Context, member, device crdt.PubKey, label string) error {
	_, err := n.act(ctx, crdt.KindDeviceLink, n.Coop(), &crdt.DeviceLink{Member: member, Device: device, Label: label})
	return err
}

// RevokeDevice stops a device key acting for member (a lost phone).
func (n *Node) RevokeDevice(ctx context.Context, member, device crdt.PubKey) error {
	_, err := n.act(ctx, crdt.KindDeviceRevoke, n.Coop(), &crdt.DeviceRevoke{Member: member, Device: device})
	return err
}

// ---- restaurant ----

// memberScope is the catalogue scope of this node's member.
func (n *Node) memberScope() (crdt.ID, error) {
	coop := n.replica.CoopView(n.cfg.coop)
	if coop == nil {
		return crdt.ID{}, ErrNoCoop
	}
	m, r := coop.Resolve(n.self, n.nowMs())
	if r != crdt.ReasonOK {
		return crdt.ID{}, fmt.Errorf("%w: %s", ErrNotMember, r)
	}
	return crdt.ID(m.Key), nil
}

// newReplica is the node's replica: the SPEC.md §9 limits, and catalogue
// documents judged by market.ValidateDocument, so the gate refuses from
// other nodes what publishDoc refuses here (SPEC.md §5.3.3).
func newReplica() *crdt.Replica {
	return crdt.NewReplica(crdt.Limits{CheckDocument: market.ValidateDocument})
}

// publishDoc publishes a catalogue document of this node's member, after
// checking it with the rules checkout applies (market.ValidateDocument):
// a document checkout would refuse is a *RefusedError naming the field.
func (n *Node) publishDoc(ctx context.Context, body crdt.Payload) error {
	if err := market.ValidateDocument(body); err != nil {
		return refusal(body.Kind().String(), err)
	}
	return n.do(ctx, func() error {
		scope, err := n.memberScope()
		if err != nil {
			return err
		}
		_, err = n.emit(body.Kind(), scope, body)
		return err
	})
}

// PublishProfile replaces this restaurant's profile and settings.
func (n *Node) PublishProfile(ctx context.Context, p crdt.CatalogProfile) error {
	return n.publishDoc(ctx, &p)
}

// PublishMenu replaces this restaurant's menu.
func (n *Node) PublishMenu(ctx context.Context, m crdt.CatalogMenu) error {
	return n.publishDoc(ctx, &m)
}

// Accept accepts an order with a preparation time in minutes (0: default).
func (n *Node) Accept(ctx context.Context, order crdt.ID, prepMinutes uint32) error {
	return n.orderAct(ctx, order, &crdt.OrderAccept{PrepMinutes: prepMinutes})
}

// Refuse refuses a placed order: sold_out, rush_hour or closing.
func (n *Node) Refuse(ctx context.Context, order crdt.ID, reason string) error {
	return n.orderAct(ctx, order, &crdt.OrderRefuse{Reason: reason})
}

// Delay pushes the expected ready time back by minutes.
func (n *Node) Delay(ctx context.Context, order crdt.ID, minutes uint32) error {
	return n.orderAct(ctx, order, &crdt.OrderDelay{Minutes: minutes})
}

// StartPreparing marks that the kitchen started.
func (n *Node) StartPreparing(ctx context.Context, order crdt.ID) error {
	return n.orderAct(ctx, order, &crdt.OrderStartPreparing{})
}

// Ready marks the order ready for pickup or collection.
func (n *Node) Ready(ctx context.Context, order crdt.ID) error {
	return n.orderAct(ctx, order, &crdt.OrderReady{})
}

// Fulfil closes a collection order handed over at the counter.
func (n *Node) Fulfil(ctx context.Context, order crdt.ID) error {
	return n.orderAct(ctx, order, &crdt.OrderFulfil{})
}

// Restore brings back a cancelled order that had been accepted.
func (n *Node) Restore(ctx context.Context, order crdt.ID) error {
	return n.orderAct(ctx, order, &crdt.OrderRestore{})
}

// Assign confirms or names the courier who carries an order (the order's
// restaurant or a dispatcher).
func (n *Node) Assign(ctx context.Context, order crdt.ID, courier crdt.PubKey) error {
	return n.orderAct(ctx, order, &crdt.CourierAssign{Courier: courier})
}

// ---- customer ----

// PlaceUnpriced signs and publishes an order exactly as given, with no
// pricing or checks beyond the fold's; its ID is the order ID. It serves
// tests, tools and POST /v1/orders. Apps use Checkout, which checks and
// prices a cart first.
func (n *Node) PlaceUnpriced(ctx context.Context, p crdt.OrderPlace) (crdt.ID, error) {
	return n.act(ctx, crdt.KindOrderPlace, crdt.ID{}, &p)
}

// Cancel cancels an order. A customer may cancel only before acceptance,
// with reason "customer"; the restaurant or a dispatcher with any SPEC
// reason.
func (n *Node) Cancel(ctx context.Context, order crdt.ID, reason string) error {
	return n.orderAct(ctx, order, &crdt.OrderCancel{Reason: reason})
}

// ---- courier ----

// Claim asks to carry an order and returns the claim's event ID at once;
// the outcome arrives as changes, or use AwaitClaim. A job the courier
// does not see yet by the job board rule is ErrNotOfferedYet (SPEC.md
// §21.2).
func (n *Node) Claim(ctx context.Context, order crdt.ID, at crdt.Position) (crdt.ID, error) {
	var id crdt.ID
	err := n.do(ctx, func() error {
		if err := n.offeredYet(order, at); err != nil {
			return err
		}
		e, err := n.emit(crdt.KindCourierClaim, order, &crdt.CourierClaim{Position: at})
		if err != nil {
			return err
		}
		id = e.ID
		return nil
	})
	return id, err
}

// Unassign releases the order so that it can be claimed again.
func (n *Node) Unassign(ctx context.Context, order crdt.ID, reason string) error {
	return n.orderAct(ctx, order, &crdt.CourierUnassign{Reason: reason})
}

// StartTask marks the courier on the way to the pickup (task 1) or the
// dropoff (task 2).
func (n *Node) StartTask(ctx context.Context, order crdt.ID, task uint8) error {
	return n.orderAct(ctx, order, &crdt.TaskStart{Task: task})
}

// Pickup marks the order collected from the restaurant.
func (n *Node) Pickup(ctx context.Context, order crdt.ID) error {
	return n.orderAct(ctx, order, &crdt.TaskPickup{})
}

// Deliver marks the order handed over, with proof.
func (n *Node) Deliver(ctx context.Context, order crdt.ID, proof crdt.Proof) error {
	return n.orderAct(ctx, order, &crdt.TaskDeliver{Proof: proof})
}

// Fail records a failed pickup (task 1) or dropoff (task 2).
func (n *Node) Fail(ctx context.Context, order crdt.ID, task uint8, reason, note string) error {
	return n.orderAct(ctx, order, &crdt.TaskFail{Task: task, Reason: reason, Note: note})
}

// StartStop marks the holder on the way to dropoff stop (1-based) of a
// parcel delivery.
func (n *Node) StartStop(ctx context.Context, order crdt.ID, stop uint16) error {
	return n.orderAct(ctx, order, &crdt.TaskStart{Task: crdt.TaskDropoffN, Stop: stop})
}

// DeliverStop marks dropoff stop (1-based) of a parcel delivery handed over.
func (n *Node) DeliverStop(ctx context.Context, order crdt.ID, stop uint16, proof crdt.Proof) error {
	return n.orderAct(ctx, order, &crdt.TaskDeliver{Proof: proof, Stop: stop})
}

// FailStop records a failed dropoff stop (1-based) of a parcel delivery.
func (n *Node) FailStop(ctx context.Context, order crdt.ID, stop uint16, reason, note string) error {
	return n.orderAct(ctx, order, &crdt.TaskFail{Task: crdt.TaskDropoffN, Stop: stop, Reason: reason, Note: note})
}
