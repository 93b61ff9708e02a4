package demo

import (
	"context"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

func TestZZProbeReplay(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	key := deriveKey(1, "probe")
	n, err := node.New(ctx, node.WithKey(key), node.WithRole(node.RoleRelay), node.WithDataDir(dir), node.WithListen("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	coop, err := n.Found(ctx, crdt.CoopGenesis{Name: "x"})
	if err != nil {
		t.Fatal(err)
	}
	rk := deriveKey(1, "resto")
	var rpk crdt.PubKey
	copy(rpk[:], rk[32:])
	if err := n.Admit(ctx, rpk, crdt.RoleRestaurant, "r"); err != nil {
		t.Fatal(err)
	}
	id, err := n.PlaceOrder(ctx, crdt.OrderPlace{Restaurant: rpk, Fulfilment: crdt.FulfilDelivery, Pickup: nantes, DropoffArea: nantes})
	if err != nil {
		t.Fatal(err)
	}
	os1, _ := n.Orders(ctx, node.OrderFilter{})
	h1, _ := n.ScopeHashes(ctx)
	t.Logf("before: orders %d scopes %d stats %+v", len(os1), len(h1), n.Stats(ctx))
	n.Close()
	time.Sleep(10 * time.Millisecond)
	n, err = node.New(ctx, node.WithKey(key), node.WithRole(node.RoleRelay), node.WithDataDir(dir), node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithCoop(coop))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	os2, _ := n.Orders(ctx, node.OrderFilter{})
	h2, _ := n.ScopeHashes(ctx)
	o, err := n.Order(ctx, id)
	t.Logf("after: orders %d scopes %d stats %+v order %v err %v", len(os2), len(h2), n.Stats(ctx), o != nil, err)
}
