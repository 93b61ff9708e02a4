package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/p2p/protocol/circuitv2/relay"
	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
)

// TestRelayReservationAndCircuit: on loopback, a relay-role node with
// WithNAT serves reservations to two nodes that have it as bootstrap;
// one reaches the other, whose address it does not know, through the
// relay (a limited, relayed link), and both count it (SPEC.md §10.6).
func TestRelayReservationAndCircuit(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	r := c.startNode("relay", RoleRelay, WithNAT(true))
	boot := WithBootstrap(p2pAddrs(t, r.Host())...)
	a := c.startNode("a-resto", RoleRestaurant, WithNAT(true), boot)
	b := c.startNode("b-customer", RoleCustomer, WithNAT(true), boot)
	for _, n := range []*Node{a, b} {
		waitFor(t, string(n.cfg.role)+"'s reservation", func() bool { return n.NATStats().ReservationsHeld == 1 })
		if len(n.RelayAddrs()) == 0 {
			t.Fatalf("%s holds a reservation but has no relay address", n.cfg.role)
		}
	}
	waitFor(t, "relay counts 2 reservations", func() bool { return r.NATStats().RelayReservations == 2 })
	waitFor(t, "b's circuit address in its own addresses", func() bool {
		for _, m := range b.Host().Addrs() {
			if isRelayed(m) {
				return true
			}
		}
		return false
	})
	if known := a.Host().Peerstore().Addrs(b.ID()); len(known) != 0 {
		t.Fatalf("a already knows b's addresses %v: the test would not go through the relay", known)
	}
	must(t, a.ConnectPeer(ctx, b.ID()))
	if got := a.Host().Network().Connectedness(b.ID()); got != network.Limited {
		t.Fatalf("a→b connectedness %v, want Limited (relayed)", got)
	}
	peers, err := a.Peers(ctx)
	must(t, err)
	relayed := false
	for _, p := range peers {
		relayed = relayed || p.PeerID == b.ID().String() && p.Link == LinkRelayed
	}
	if !relayed {
		t.Fatalf("a's peers do not show b as relayed: %+v", peers)
	}
	waitFor(t, "relay counts the circuit", func() bool { return r.NATStats().RelayCircuits == 1 })
	if st := r.NATStats(); st.RelayCircuitsTotal != 1 || st.RelayReservationsRefused != 0 {
		t.Errorf("relay stats %+v", st)
	}
	// the invite of a NATed node carries the relay itself
	inv := a.Invite()
	found := false
	for _, m := range inv.Bootstrap {
		if _, id := peer.SplitAddr(m); id == r.ID() {
			found = true
		}
	}
	if !found {
		t.Errorf("a's invite %v lacks its relay %s", inv.Bootstrap, r.ID())
	}
	// a peer with no address and no relay in common is refused clearly
	lonely := c.startNode("lonely", RoleCustomer)
	if err := lonely.ConnectPeer(ctx, mustPeer(t, "stranger")); !errors.Is(err, ErrUnreachablePeer) || !strings.Contains(err.Error(), "no known address") {
		t.Errorf("ConnectPeer to an unknown peer without relays: %v", err)
	}
}

// TestRelayRefusesReservation: a bootstrap relay that refuses every
// reservation (its ACL) and another that cannot be reached each give one
// clear log line, and the node keeps working with what it reaches: it
// founds a coop and syncs with a plain peer (issue 13, must show).
func TestRelayRefusesReservation(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rh, err := libp2p.New(libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"), libp2p.DisableMetrics(), libp2p.DisableRelay())
	must(t, err)
	defer rh.Close()
	rs, err := relay.New(rh, relay.WithACL(denyAll{}))
	must(t, err)
	defer rs.Close()
	refusing := peer.AddrInfo{ID: rh.ID(), Addrs: rh.Addrs()}
	refusingAddrs, err := peer.AddrInfoToP2pAddrs(&refusing)
	must(t, err)
	// a relay that is down: a peer ID nobody runs, on a port nobody listens on
	gone := multiaddr.StringCast("/ip4/127.0.0.1/tcp/9/p2p/" + mustPeer(t, "gone relay").String())

	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	n := c.startNode("resto", RoleRestaurant, WithNAT(true), WithLogger(log),
		WithBootstrap(append(refusingAddrs, gone)...))
	waitFor(t, "the refusal logged", func() bool { return strings.Contains(logs.String(), "relay refused a reservation") })
	waitFor(t, "the unreachable relay logged", func() bool { return strings.Contains(logs.String(), "relay unreachable") })
	if got := n.NATStats().ReservationsHeld; got != 0 {
		t.Fatalf("%d reservations held on a refusing relay", got)
	}
	if !strings.Contains(logs.String(), "status=PERMISSION_DENIED") {
		t.Errorf("the refusal does not name the relay's status:\n%s", logs.String())
	}
	// the node keeps working
	id, err := n.Found(ctx, crdt.CoopGenesis{Name: "Still here"})
	must(t, err)
	c.coop = id
	other := c.startNode("other", RoleCourier)
	c.connect(other, n)
	c.eventually("the coop reached the plain peer", func(x *Node) bool {
		cs, err := x.CoopState(ctx)
		return err == nil && cs.Name == "Still here"
	})
	// each failure is said once, not at every retry
	if k := strings.Count(logs.String(), "relay refused a reservation"); k != 1 {
		t.Errorf("refusal logged %d times", k)
	}
}

type denyAll struct{}

func (denyAll) AllowReserve(peer.ID, multiaddr.Multiaddr) bool          { return false }
func (denyAll) AllowConnect(peer.ID, multiaddr.Multiaddr, peer.ID) bool { return false }

func mustPeer(t *testing.T, name string) peer.ID {
	t.Helper()
	k, err := libp2pKey(nodeKey(name))
	must(t, err)
	id, err := peer.IDFromPrivateKey(k)
	must(t, err)
	return id
}

// TestForeignInvite: an invite to another coop is refused with a clear
// error before the node dials any of its peers, and the node keeps
// working in its own coop (issue 13, must show: a foreign invite).
func TestForeignInvite(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	a := c.startNode("a-admin", RoleAdmin, WithNAT(true))
	_, err := a.Found(ctx, crdt.CoopGenesis{Name: "Ours"})
	must(t, err)
	b := c.startNode("b-admin", RoleRelay, WithNAT(true))
	_, err = b.Found(ctx, crdt.CoopGenesis{Name: "Theirs"})
	must(t, err)
	err = a.JoinInvite(ctx, b.Invite())
	if !errors.Is(err, ErrBadArgument) || !strings.Contains(err.Error(), "already belongs to coop") {
		t.Fatalf("JoinInvite(foreign) = %v, want ErrBadArgument naming both coops", err)
	}
	if a.Host().Network().Connectedness(b.ID()) != network.NotConnected {
		t.Errorf("a dialed the foreign invite's peer")
	}
	if got := a.NATStats().ReservationsHeld; got != 0 {
		t.Errorf("a reserved on the foreign coop's relay (%d)", got)
	}
	must(t, a.Admit(ctx, crdt.PubKey(nodeKey("member").Public().(ed25519.PublicKey)), crdt.RoleCourier, "M"))
}

// TestJoinInviteReservesOnItsRelay: a running node that joins by invite
// reserves a slot on the invite's relay (SPEC.md §10.6), not only a node
// started with the invite.
func TestJoinInviteReservesOnItsRelay(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	r := c.startNode("relay", RoleRelay, WithNAT(true))
	_, err := r.Found(ctx, crdt.CoopGenesis{Name: "Joined later"})
	must(t, err)
	n := c.startNode("newcomer", RoleCourier, WithNAT(true))
	must(t, n.JoinInvite(ctx, r.Invite()))
	waitFor(t, "a reservation on the invite's relay", func() bool { return n.NATStats().ReservationsHeld == 1 })
}

// TestPunchRetryRedialsThroughRelay: after a failed hole punch, the node
// that dialed through the relay closes the relayed connection and dials
// through the relay again (a new DCUtR round on the other side); the
// peer that received the relayed connection does not (SPEC.md §10.6).
func TestPunchRetryRedialsThroughRelay(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	r := c.startNode("relay", RoleRelay, WithNAT(true))
	boot := WithBootstrap(p2pAddrs(t, r.Host())...)
	a := c.startNode("a-resto", RoleRestaurant, WithNAT(true), boot)
	b := c.startNode("b-customer", RoleCustomer, WithNAT(true), boot)
	waitFor(t, "both reservations", func() bool {
		return a.NATStats().ReservationsHeld == 1 && b.NATStats().ReservationsHeld == 1
	})
	must(t, a.ConnectPeer(ctx, b.ID()))
	first := a.Host().Network().ConnsToPeer(b.ID())
	if len(first) != 1 || !first[0].Stat().Limited {
		t.Fatalf("a→b connections %v, want one relayed", first)
	}
	if b.dialedRelayed(a.ID()) {
		t.Fatal("b counts as the dialer of a relayed connection it received")
	}
	b.punchFailed(a.ID()) // the receiving side: nothing to retry
	b.rsv.mu.Lock()
	if len(b.rsv.punch) != 0 {
		t.Errorf("b scheduled a retry for a relayed connection it did not dial")
	}
	b.rsv.mu.Unlock()
	a.punchFailed(b.ID())
	a.punchFailed(b.ID()) // a second report while a retry is pending schedules nothing more
	// on loopback the redial may also reach b directly: identify over the
	// relayed link told a b's own addresses
	waitFor(t, "a redials b", func() bool {
		cs := a.Host().Network().ConnsToPeer(b.ID())
		return len(cs) >= 1 && cs[0].ID() != first[0].ID()
	})
	a.rsv.mu.Lock()
	got := a.rsv.punch[b.ID()]
	a.rsv.mu.Unlock()
	if got != 1 {
		t.Errorf("retries recorded %d, want 1", got)
	}
}
