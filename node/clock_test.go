package node

import (
	"strconv"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
)

// waitTimerWhere waits until a pending fake timer satisfies pred and
// returns its duration.
func (f *fakeClock) waitTimerWhere(t testing.TB, what string, pred func(*fakeTimer) bool, timeout time.Duration) time.Duration {
	t.Helper()
	return f.waitFor(t, what+" on the injected clock", timeout, func() (time.Duration, bool) {
		for _, tm := range f.timers {
			if pred(tm) {
				return tm.d, true
			}
		}
		return 0, false
	})
}

// TestWithClockDrivesTimers: a node built WithClock waits on that clock
// for discovery's redial backoff, for gap repair and for periodic
// anti-entropy. Each step below holds still until the test advances the
// fake clock, then happens at once.
func TestWithClockDrivesTimers(t *testing.T) {
	c := newCluster(t, map[string]Role{})
	ctx := c.ctx
	clk := newFakeClock()

	// Discovery: the bootstrap peer is not listening yet, so the first
	// dial fails and the keeper waits its backoff (0.5–1 s) on clk.
	port := strconv.Itoa(closedPort(t))
	bootKey := testKey(t)
	bootID, err := peer.IDFromPrivateKey(bootKey)
	must(t, err)
	bootAddr := mustAddr(t, "/ip4/127.0.0.1/tcp/"+port+"/p2p/"+bootID.String())
	a := c.startNode("a", RoleRestaurant, WithClock(clk), WithSyncInterval(time.Hour), WithSyncOnConnect(false),
		WithFollow(Follow{}), WithBootstrap(bootAddr))
	backoff := clk.waitTimerWhere(t, "discovery backoff timer", func(tm *fakeTimer) bool {
		return tm.c != nil && tm.period == 0 && tm.d >= defaultMinBackoff/2 && tm.d < defaultMinBackoff
	}, 10*time.Second)
	boot := newTestHost(t, bootKey, "/ip4/127.0.0.1/tcp/"+port)
	asked := make(chan struct{}, 1) // boot answers no session; it notes the ask
	boot.SetStreamHandler(protocol.SyncProtocolID, func(s network.Stream) {
		select {
		case asked <- struct{}{}:
		default:
		}
		_ = s.Reset()
	})
	if a.Host().Network().Connectedness(boot.ID()) == network.Connected {
		t.Fatal("redialed before the injected clock moved")
	}
	clk.advance(backoff)
	eventually(t, 10*time.Second, "a to redial its bootstrap peer", func() bool {
		return a.Host().Network().Connectedness(boot.ID()) == network.Connected
	})

	// Anti-entropy: a syncs with a random peer (boot is its only one) once
	// an hour of the injected clock has passed, and not before.
	select {
	case <-asked:
		t.Fatal("a asked for a sync before its interval passed")
	default:
	}
	clk.advance(time.Hour)
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("no periodic sync after the injected clock advanced an hour")
	}

	// Gap repair: boot pushes a's restaurant an order's cancel without the
	// order; a holds it pending, waits pushGapWait on clk, then asks the
	// sender for the missing parent by sync.
	cust := nodeKey("cust")
	place := samplePlace(a.Key())
	wall := clk.Now().UnixMilli()
	o1, _, err := protocol.Seal(cust, protocol.Draft{Coop: c.coop, Kind: crdt.KindOrderPlace, Lamport: 1, Wall: wall, Body: &place})
	must(t, err)
	_, o2, err := protocol.Seal(cust, protocol.Draft{Coop: c.coop, Scope: o1.ID, Kind: crdt.KindOrderCancel,
		Parents: []crdt.ID{o1.ID}, Lamport: 2, Wall: wall, Body: &crdt.OrderCancel{Reason: crdt.ReasonCustomer}})
	must(t, err)
	frame, err := protocol.AppendPushFrame(nil, o2)
	must(t, err)
	s, err := boot.NewStream(ctx, a.ID(), protocol.PushProtocolID)
	must(t, err)
	_, err = s.Write(frame)
	must(t, err)
	must(t, s.Close())
	clk.waitTimerWhere(t, "gap-repair timer", func(tm *fakeTimer) bool {
		return tm.f != nil && tm.d == pushGapWait
	}, 10*time.Second)
	if st := a.Stats(ctx); st.EventsPending != 1 {
		t.Fatalf("a holds %d pending events, want the cancel waiting for its order", st.EventsPending)
	}
	select {
	case <-asked:
		t.Fatal("a asked for the missing parent before the injected clock moved")
	default:
	}
	clk.advance(pushGapWait)
	select {
	case <-asked:
	case <-time.After(10 * time.Second):
		t.Fatal("no gap-repair sync after the injected clock advanced")
	}
}
