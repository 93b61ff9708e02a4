package node

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node/wakeup"
	"github.com/coopnode/coopnode/protocol"
)

// TestWakeOfflineCourier (issue 13 item 5): a relay with WithWakeups sends
// a wake-up to the push endpoint of an admitted courier who has no running
// node when a job appears (the restaurant accepts an order), and none to a
// courier who is connected. The push endpoint is served by the test on
// loopback; the payload's decryption is proven in node/wakeup
// (TestWakeReachesLoopbackPushService). The figure logged is the time from
// Accept returning to the endpoint receiving the wake-up.
func TestWakeOfflineCourier(t *testing.T) {
	c := newCluster(t, map[string]Role{"resto": RoleRestaurant, "c1": RoleCourier, "cust": RoleCustomer})
	ctx := c.ctx
	resto, c1, cust := c.nodes["resto"], c.nodes["c1"], c.nodes["cust"]

	type hit struct {
		path string
		at   time.Time
		body []byte
	}
	hits := make(chan hit, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hits <- hit{r.URL.Path, time.Now(), b}
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	sub := func(path string) wakeup.Subscription {
		k, err := ecdh.P256().GenerateKey(rand.Reader)
		must(t, err)
		auth := make([]byte, 16)
		rand.Read(auth)
		return wakeup.Subscription{Endpoint: srv.URL + path, Keys: wakeup.Keys{
			P256dh: base64.RawURLEncoding.EncodeToString(k.PublicKey().Bytes()),
			Auth:   base64.RawURLEncoding.EncodeToString(auth)}}
	}

	// the sleeping courier: admitted, registered, no node
	sleepy := protocol.PubKeyOf(nodeKey("sleepy"))
	must(t, c.admin.Admit(ctx, sleepy, crdt.RoleCourier, "sleepy"))
	reg := wakeup.NewRegistry(0)
	must(t, reg.Register(sleepy.String(), sub("/sleepy")))
	must(t, reg.Register(c1.Key().String(), sub("/c1"))) // registered, but connected

	v, err := wakeup.NewVAPID(nil, "mailto:relay@coop.example")
	must(t, err)
	relay := c.startNode("relay", RoleRelay, WithWakeups(reg, &wakeup.Sender{VAPID: v, Client: srv.Client()}))
	c.connect(relay, c.admin)
	c.connect(relay, c1)
	c.eventually("membership everywhere", func(n *Node) bool {
		cs, err := n.CoopState(ctx)
		return err == nil && len(cs.Members) == 4
	})
	must(t, resto.PublishProfile(ctx, crdt.CatalogProfile{Name: "Soupe Populaire", Enabled: true, Fulfilment: crdt.FulfilDelivery,
		Position: crdt.Position{LatE6: 47_218_000, LonE6: -1_553_000}}))
	c.eventually("catalogue everywhere", func(n *Node) bool {
		rs, err := n.Restaurants(ctx)
		return err == nil && len(rs) == 1 && rs[0].Profile != nil
	})
	id, err := cust.PlaceUnpriced(ctx, samplePlace(resto.Key()))
	must(t, err)
	c.eventually("placed", c.has(id))
	select {
	case h := <-hits:
		t.Fatalf("wake-up to %s before any job appeared", h.path)
	default:
	}
	must(t, resto.Accept(ctx, id, 10))
	accepted := time.Now()

	var h hit
	select {
	case h = <-hits:
	case <-time.After(15 * time.Second):
		t.Fatal("the offline courier's endpoint received no wake-up")
	}
	if h.path != "/sleepy" {
		t.Fatalf("wake-up sent to %s; want only the offline courier", h.path)
	}
	if len(h.body) == 0 {
		t.Fatal("empty wake-up")
	}
	fmt.Fprintf(testWriter{t}, "wake-up of the offline courier %v after the job appeared\n", h.at.Sub(accepted).Round(time.Millisecond))

	// The connected courier was not woken. The relay's wakeSender takes
	// keys in order on one goroutine, so once a sentinel key queued after
	// the accept's keys is served, every key of the accept has been.
	sentinel := protocol.PubKeyOf(nodeKey("sentinel"))
	must(t, reg.Register(sentinel.String(), sub("/sentinel")))
	relay.wakes <- sentinel
	for h.path != "/sentinel" {
		select {
		case h = <-hits:
		case <-time.After(15 * time.Second):
			t.Fatal("the sentinel wake-up never came")
		}
		if h.path == "/c1" {
			t.Fatal("a connected courier was woken")
		}
	}
	// counted: the sleeping courier and the sentinel, nothing failed
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := relay.Stats(ctx)
		if st.WakeupsSent == 2 && st.WakeupsFailed == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay stats: %d wake-ups sent, %d failed; want 2 and 0", st.WakeupsSent, st.WakeupsFailed)
		}
		time.Sleep(10 * time.Millisecond) // polling interval of a condition wait
	}
}
