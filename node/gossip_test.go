package node

import (
	"bytes"
	"context"
	"errors"
	"sort"
	"strings"
	"testing"
	"time"

	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
)

// fastGossip makes meshes form in a few hundred milliseconds.
var fastGossip = gossipConfig{Heartbeat: 50 * time.Millisecond, ScoreInspectPeriod: 20 * time.Millisecond}

func acceptAll(context.Context, peer.ID, []byte) pubsub.ValidationResult {
	return pubsub.ValidationAccept
}

// rejectBad rejects messages starting with "bad".
func rejectBad(_ context.Context, _ peer.ID, data []byte) pubsub.ValidationResult {
	if bytes.HasPrefix(data, []byte("bad")) {
		return pubsub.ValidationReject
	}
	return pubsub.ValidationAccept
}

func newTestGossip(t testing.TB, h host.Host, cfg gossipConfig,
	validate func(context.Context, peer.ID, []byte) pubsub.ValidationResult,
) *gossip {
	t.Helper()
	g, err := newGossip(context.Background(), h, cfg, validate)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(g.close)
	return g
}

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recv waits for the next message on g.
func recv(t testing.TB, g *gossip, d time.Duration) gossipMsg {
	t.Helper()
	select {
	case m := <-g.msgs:
		return m
	case <-time.After(d):
		t.Fatalf("%s: no message within %v", g.h.ID(), d)
		return gossipMsg{}
	}
}

func TestGossipPublishReachesAll(t *testing.T) {
	t.Cleanup(leakCheck(t))
	// A line a–hub–c plus a QUIC-only d on the hub: a's messages reach c
	// and d only if the hub forwards them through its mesh.
	a := newTestHost(t, nil, tcpLoopback)
	hub := newTestHost(t, nil, tcpLoopback, quicLoopback)
	c := newTestHost(t, nil, tcpLoopback)
	d := newTestHost(t, nil, quicLoopback)
	connect(t, a, hub)
	connect(t, c, hub)
	connect(t, d, hub)

	ga := newTestGossip(t, a, fastGossip, acceptAll)
	gh := newTestGossip(t, hub, fastGossip, acceptAll)
	gc := newTestGossip(t, c, fastGossip, acceptAll)
	gd := newTestGossip(t, d, fastGossip, acceptAll)
	const topic = "coop/test"
	for _, g := range []*gossip{ga, gh, gc, gd} {
		if err := g.join(topic); err != nil {
			t.Fatal(err)
		}
		if err := g.join(topic); err != nil { // idempotent
			t.Fatal(err)
		}
	}
	ctx := testCtx(t, 5*time.Second)
	if err := gh.waitForMesh(ctx, topic, 3); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*gossip{ga, gc, gd} {
		if err := g.waitForMesh(ctx, topic, 1); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(gh.topicPeers(topic)); got != 3 {
		t.Fatalf("hub sees %d topic peers, want 3", got)
	}

	if err := ga.publish(ctx, topic, []byte("hello from a")); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*gossip{gh, gc, gd} {
		m := recv(t, g, 5*time.Second)
		if m.Topic != topic || string(m.Data) != "hello from a" {
			t.Fatalf("%s got %+v", g.h.ID(), m)
		}
		want := hub.ID()
		if g == gh {
			want = a.ID()
		}
		if m.From != want {
			t.Errorf("%s: From = %s, want the forwarding peer %s", g.h.ID(), m.From, want)
		}
	}
	if err := gd.publish(ctx, topic, []byte("hello over quic")); err != nil {
		t.Fatal(err)
	}
	for _, g := range []*gossip{ga, gh, gc} {
		if m := recv(t, g, 5*time.Second); string(m.Data) != "hello over quic" {
			t.Fatalf("%s got %q", g.h.ID(), m.Data)
		}
	}
	// Our own publishes are not echoed back.
	select {
	case m := <-ga.msgs:
		t.Fatalf("a received %q", m.Data)
	case m := <-gd.msgs:
		t.Fatalf("d received its own %q", m.Data)
	default:
	}

	// Close everything before the leak check runs.
	for _, g := range []*gossip{ga, gh, gc, gd} {
		g.close()
		g.close() // idempotent
	}
	for _, h := range []host.Host{a, hub, c, d} {
		_ = h.Close()
	}
	if err := ga.join("other"); !errors.Is(err, ErrGossipClosed) {
		t.Fatalf("join after close: %v", err)
	}
	if err := ga.publish(context.Background(), topic, []byte("x")); !errors.Is(err, ErrGossipClosed) {
		t.Fatalf("publish after close: %v", err)
	}
}

func TestGossipRejectLowersScore(t *testing.T) {
	t.Cleanup(leakCheck(t))
	sender := newTestHost(t, nil)
	receiver := newTestHost(t, nil)
	connect(t, sender, receiver)
	gs := newTestGossip(t, sender, fastGossip, acceptAll)
	gr := newTestGossip(t, receiver, fastGossip, rejectBad)
	const topic = "orders/x"
	for _, g := range []*gossip{gs, gr} {
		if err := g.join(topic); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t, 8*time.Second)
	if err := gs.waitForPeers(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	if err := gr.waitForPeers(ctx, topic, 1); err != nil {
		t.Fatal(err)
	}
	if err := gs.publish(ctx, topic, []byte("good")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, gr, 5*time.Second); string(m.Data) != "good" || m.From != sender.ID() {
		t.Fatalf("got %+v", m)
	}
	eventually(t, 5*time.Second, "non-negative score after a good message", func() bool {
		_, known := gr.peerScores()[sender.ID()]
		return known && gr.peerScore(sender.ID()) >= 0
	})

	for _, data := range []string{"bad-1", "bad-2", "bad-3"} {
		if err := gs.publish(ctx, topic, []byte(data)); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 5*time.Second, "sender graylisted by receiver", func() bool {
		return gr.peerScore(sender.ID()) < graylistThreshold
	})
	t.Logf("receiver's score for sender: %.1f", gr.peerScore(sender.ID()))
	select {
	case m := <-gr.msgs:
		t.Fatalf("rejected message delivered: %q", m.Data)
	default:
	}
	// The sender has no complaint about the receiver.
	if s := gs.peerScore(receiver.ID()); s < 0 {
		t.Fatalf("sender's score for receiver = %.1f", s)
	}
}

func TestGossipLeave(t *testing.T) {
	t.Cleanup(leakCheck(t))
	a := newTestHost(t, nil)
	b := newTestHost(t, nil)
	connect(t, a, b)
	ga := newTestGossip(t, a, fastGossip, acceptAll)
	gb := newTestGossip(t, b, fastGossip, acceptAll)
	for _, g := range []*gossip{ga, gb} {
		for _, topic := range []string{"t1", "t2"} {
			if err := g.join(topic); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx := testCtx(t, 5*time.Second)
	if err := ga.waitForPeers(ctx, "t1", 1); err != nil {
		t.Fatal(err)
	}
	if err := gb.leave("t1"); err != nil {
		t.Fatal(err)
	}
	if err := gb.leave("t1"); err != nil { // idempotent
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "a to see b leave t1", func() bool {
		return len(ga.topicPeers("t1")) == 0
	})
	if err := ga.waitForPeers(ctx, "t2", 1); err != nil {
		t.Fatal(err)
	}
	// b still gets t2, and not t1.
	if err := ga.publish(ctx, "t1", []byte("one")); err != nil {
		t.Fatal(err)
	}
	if err := ga.publish(ctx, "t2", []byte("two")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, gb, 5*time.Second); m.Topic != "t2" || string(m.Data) != "two" {
		t.Fatalf("got %+v", m)
	}
	// Rejoining works.
	if err := gb.join("t1"); err != nil {
		t.Fatal(err)
	}
	if err := ga.waitForPeers(ctx, "t1", 1); err != nil {
		t.Fatal(err)
	}
	if err := ga.join(""); !errors.Is(err, ErrBadTopic) {
		t.Fatalf("empty topic: %v", err)
	}
}

func TestGossipPublishWithoutJoining(t *testing.T) {
	t.Cleanup(leakCheck(t))
	a := newTestHost(t, nil)
	b := newTestHost(t, nil)
	connect(t, a, b)
	ga := newTestGossip(t, a, fastGossip, acceptAll)
	gb := newTestGossip(t, b, fastGossip, acceptAll)
	if err := gb.join("menu"); err != nil {
		t.Fatal(err)
	}
	ctx := testCtx(t, 5*time.Second)
	eventually(t, 5*time.Second, "a to learn b's subscription", func() bool {
		return len(ga.topicPeers("menu")) == 1
	})
	// a publishes through fanout without subscribing.
	if err := ga.publish(ctx, "menu", []byte("soup")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, gb, 5*time.Second); string(m.Data) != "soup" {
		t.Fatalf("got %q", m.Data)
	}
}

func TestGossipLeafStillReceives(t *testing.T) {
	t.Cleanup(leakCheck(t))
	phone := newTestHost(t, nil)
	server := newTestHost(t, nil)
	connect(t, phone, server)
	leaf := fastGossip
	leaf.Leaf = true
	gp := newTestGossip(t, phone, leaf, acceptAll)
	gsrv := newTestGossip(t, server, fastGossip, acceptAll)
	for _, g := range []*gossip{gp, gsrv} {
		if err := g.join("coop"); err != nil {
			t.Fatal(err)
		}
	}
	ctx := testCtx(t, 5*time.Second)
	if err := gp.waitForPeers(ctx, "coop", 1); err != nil {
		t.Fatal(err)
	}
	if err := gsrv.waitForPeers(ctx, "coop", 1); err != nil {
		t.Fatal(err)
	}
	if err := gsrv.publish(ctx, "coop", []byte("to the phone")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, gp, 5*time.Second); string(m.Data) != "to the phone" {
		t.Fatalf("got %q", m.Data)
	}
	if err := gp.publish(ctx, "coop", []byte("from the phone")); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, gsrv, 5*time.Second); string(m.Data) != "from the phone" {
		t.Fatalf("got %q", m.Data)
	}
	// A peer that dialed us may GRAFT (pubsub accepts outbound peers past
	// Dhi), but the leaf prunes it at its next heartbeat.
	eventually(t, 5*time.Second, "leaf to prune its mesh", func() bool {
		return len(gp.meshPeers("coop")) == 0
	})
}

func TestGossipParams(t *testing.T) {
	p, err := gossipSubParams(gossipConfig{})
	// SPEC.md §10.1: coopnode's degrees, not gossipsub's
	if err != nil || p.D != 4 || p.Dlo != 3 || p.Dhi != 6 || p.Dlazy != 3 || p.HistoryGossip != 1 || p.GossipFactor != 1 || p.Dout >= p.Dlo || p.Dout > p.D/2 {
		t.Fatalf("defaults: %+v err=%v", p, err)
	}
	for _, c := range []gossipConfig{{}, {D: 3, Dlo: 2, Dhi: 4}, {D: 2, Dlo: 1, Dhi: 2}, {D: 12, Dlo: 8, Dhi: 24}, {D: 6, Dlo: 5, Dhi: 12, Dlazy: 6, HistoryGossip: 3}, {Leaf: true}} {
		if _, err := gossipSubParams(c); err != nil {
			t.Errorf("%+v: %v", c, err)
		}
		// The router accepts what we derive.
		h := newTestHost(t, nil)
		g, err := newGossip(context.Background(), h, c, acceptAll)
		if err != nil {
			t.Errorf("%+v: %v", c, err)
			continue
		}
		g.close()
	}
	if _, err := gossipSubParams(gossipConfig{D: 1}); err == nil {
		t.Error("D=1 accepted")
	}
	if _, err := gossipSubParams(gossipConfig{D: 6, Dlo: 7}); err == nil {
		t.Error("Dlo > D accepted")
	}
	// Score parameters pass pubsub's validation (join sets them) for any
	// topic name.
	g := newTestGossip(t, newTestHost(t, nil), gossipConfig{}, acceptAll)
	for _, topic := range []string{"a", "coop/0123/orders", strings.Repeat("x", 300)} {
		if err := g.join(topic); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := newGossip(context.Background(), newTestHost(t, nil), gossipConfig{}, nil); err == nil {
		t.Error("nil validator accepted")
	}
}

func TestGossipMsgID(t *testing.T) {
	a := msgID(&pb.Message{Data: []byte("x")})
	b := msgID(&pb.Message{Data: []byte("x"), Topic: strPtr("other")})
	c := msgID(&pb.Message{Data: []byte("y")})
	if len(a) != 20 || a != b || a == c {
		t.Fatalf("msgID: %x %x %x", a, b, c)
	}
}

func strPtr(s string) *string { return &s }

func TestMeshTracer(t *testing.T) {
	m := newMeshTracer()
	m.Graft("p1", "t")
	m.Graft("p2", "t")
	m.Graft("p1", "u")
	m.Prune("p2", "t")
	m.OnClosedOutboundStream("p1")
	m.Graft("p3", "u")
	got := m.peers("u")
	sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
	if len(m.peers("t")) != 0 || len(got) != 1 || got[0] != "p3" {
		t.Fatalf("t=%v u=%v", m.peers("t"), got)
	}
	m.Leave("u")
	if len(m.peers("u")) != 0 {
		t.Fatal("leave kept peers")
	}
}

// The node cancels its context before closing gossip: close must not hang
// on the stopped router, and everything must still stop.
func TestGossipCloseAfterCancel(t *testing.T) {
	t.Cleanup(leakCheck(t))
	a := newTestHost(t, nil)
	b := newTestHost(t, nil)
	connect(t, a, b)
	ctx, cancel := context.WithCancel(context.Background())
	ga, err := newGossip(ctx, a, fastGossip, acceptAll)
	if err != nil {
		t.Fatal(err)
	}
	gb := newTestGossip(t, b, fastGossip, acceptAll)
	for _, g := range []*gossip{ga, gb} {
		for _, topic := range []string{"t1", "t2"} {
			if err := g.join(topic); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := ga.waitForPeers(testCtx(t, 5*time.Second), "t1", 1); err != nil {
		t.Fatal(err)
	}
	cancel()
	done := make(chan struct{})
	go func() { ga.close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("close hung after the context was cancelled")
	}
}
