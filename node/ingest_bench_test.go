package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/coopnode/coopnode/protocol/syncwire"
)

// BenchmarkSyncFrames measures a catch-up sync's ingest on the receiving
// node: a coop's log and 1,000 orders (placed and accepted), as Events
// frames of up to 512 events, through receiveEvents — decoding, batch
// signature checks, admission, one write per frame, apply. It reports
// events per second.
func BenchmarkSyncFrames(b *testing.B) {
	wall := time.Now().UnixMilli()
	seal := func(who string, d protocol.Draft) (*crdt.Event, []byte) {
		d.Wall = wall
		e, raw, err := protocol.Seal(nodeKey(who), d)
		if err != nil {
			b.Fatal(err)
		}
		return e, raw
	}
	pub := func(who string) crdt.PubKey { return protocol.PubKeyOf(nodeKey(who)) }
	g, gRaw := seal("admin", protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1,
		Body: &crdt.CoopGenesis{Name: "Bench Coop", City: "Nantes", Currency: "EUR", Admins: []crdt.PubKey{pub("admin")}}})
	coop := g.ID
	_, arRaw := seal("admin", protocol.Draft{Coop: coop, Scope: coop, Kind: crdt.KindMemberAdmit, Parents: []crdt.ID{coop}, Lamport: 2,
		Body: &crdt.MemberAdmit{Member: pub("resto"), Roles: crdt.RoleRestaurant, Name: "resto"}})
	raws := [][]byte{gRaw, arRaw}
	for i := 0; i < 1000; i++ {
		body := samplePlace(pub("resto"))
		body.Note = fmt.Sprint("order ", i)
		p, pRaw := seal(fmt.Sprint("customer ", i%50), protocol.Draft{Coop: coop, Kind: crdt.KindOrderPlace, Lamport: 1, Body: &body})
		_, aRaw := seal("resto", protocol.Draft{Coop: coop, Scope: p.ID, Kind: crdt.KindOrderAccept, Parents: []crdt.ID{p.ID}, Lamport: 2, Body: &crdt.OrderAccept{}})
		raws = append(raws, pRaw, aRaw)
	}
	var frames [][]byte
	for i := 0; i < len(raws); i += syncwire.EventsPerFrame {
		frames = append(frames, encodeEvents(raws[i:min(i+syncwire.EventsPerFrame, len(raws))]))
	}
	ctx := context.Background()
	b.ResetTimer()
	for range b.N {
		b.StopTimer()
		n, err := New(ctx, WithKey(nodeKey("observer")), WithRole(RoleRelay), WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1), WithCoop(coop))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		for _, fr := range frames {
			if _, _, err := n.receiveEvents(ctx, &frameRW{}, fr, ""); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if st := n.Stats(ctx); st.EventsStored != len(raws) {
			b.Fatalf("%d events stored, want %d", st.EventsStored, len(raws))
		}
		_ = n.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(len(raws)*b.N)/b.Elapsed().Seconds(), "events/s")
}
