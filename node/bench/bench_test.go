package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"math/rand"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coopnode/coopnode/internal/leaktest"
	pubsub "github.com/libp2p/go-libp2p-pubsub"
	pb "github.com/libp2p/go-libp2p-pubsub/pb"
	"github.com/libp2p/go-libp2p/core/network"
	"google.golang.org/protobuf/proto"
)

func TestHopFloor(t *testing.T) {
	for _, c := range []struct{ n, h int }{{1, 0}, {2, 1}, {7, 1}, {8, 2}, {37, 2}, {38, 3}, {100, 3}, {187, 3}, {188, 4}, {1000, 5}} {
		if got := HopFloor(c.n); got != c.h {
			t.Errorf("HopFloor(%d) = %d, want %d", c.n, got, c.h)
		}
	}
}

func TestBuildGraph(t *testing.T) {
	for _, n := range []int{6, 20, 100, 301} {
		g := buildGraph(n, 8, rand.New(rand.NewSource(int64(n))))
		if d := g.meanDegree(); d < 7.5 && n > 9 || d > 8.01 {
			t.Errorf("n=%d: mean degree %.2f, want about 8", n, d)
		}
		if _, _, ok := g.floors(); !ok {
			t.Fatalf("n=%d: graph not connected", n)
		}
		if _, _, ok := (graph{adj: [][]int{{1}, {0}, {}}}).floors(); ok {
			t.Fatal("a split graph counts as connected")
		}
		again := buildGraph(n, 8, rand.New(rand.NewSource(int64(n))))
		for i := range g.adj {
			if len(g.adj[i]) != len(again.adj[i]) {
				t.Fatalf("n=%d: the graph depends on more than the seed", n)
			}
		}
	}
}

// TestBuildRoleGraph: followers form a connected core of degree about k,
// every leaf has leafLinks distinct followers and no leaf neighbour, and
// the whole graph is connected (SPEC.md §10.4).
func TestBuildRoleGraph(t *testing.T) {
	for _, n := range []int{6, 20, 100, 301} {
		follower := make([]bool, n)
		nf := 0
		for i := range n {
			if i == 0 || i%3 == 1 {
				follower[i], nf = true, nf+1
			}
		}
		g := buildRoleGraph(follower, 8, 2, rand.New(rand.NewSource(int64(n))))
		if _, _, ok := g.floors(); !ok {
			t.Fatalf("n=%d: graph not connected", n)
		}
		core := 0
		for i, ns := range g.adj {
			seen := map[int]bool{}
			leafNbrs := 0
			for _, j := range ns {
				if seen[j] || j == i {
					t.Fatalf("n=%d: node %d has a repeated or self link", n, i)
				}
				seen[j] = true
				if !follower[j] {
					leafNbrs++
				}
			}
			switch {
			case !follower[i] && (len(ns) != 2 || leafNbrs != 0):
				t.Fatalf("n=%d: leaf %d has links %v", n, i, ns)
			case follower[i]:
				core += len(ns) - leafNbrs
			}
		}
		if d := float64(core) / float64(nf); nf > 9 && (d < 7.5 || d > 8.01) {
			t.Errorf("n=%d: core degree %.2f, want about 8", n, d)
		}
	}
}

func TestConfigErrors(t *testing.T) {
	for _, c := range []Config{
		{Nodes: 3}, {Nodes: 5000}, {Restaurants: 1, Couriers: 1, Customers: 1}, {OrdersPerMin: -1},
		{Duration: time.Millisecond}, {Churn: 2}, {Degree: 1}, {D: 3, Dlo: 4, Dhi: 5}, {Bandwidth: -1},
		{SyncOff: time.Hour}, {IDontWant: -1},
	} {
		if _, err := c.withDefaults(); !errors.Is(err, ErrConfig) {
			t.Errorf("%+v: err = %v, want ErrConfig", c, err)
		}
	}
	c, err := Config{}.withDefaults()
	if err != nil || c.Nodes != DefaultNodes || c.Restaurants != 20 || c.Couriers != 30 || c.Customers != 49 {
		t.Fatalf("defaults: %+v %v", c, err)
	}
}

// TestTracerAttribution checks that the byte tracer splits an RPC exactly:
// attributed entries plus overhead make the RPC's size with its prefix.
func TestTracerAttribution(t *testing.T) {
	var on atomic.Bool
	on.Store(true)
	tr := newByteTracer(coopMsgID, &on, nil, time.Now)
	topic := "/cn/1/" + strings.Repeat("ab", 8) + "/o"
	m1 := &pb.Message{Data: bytes.Repeat([]byte{1}, 300), Topic: &topic}
	m2 := &pb.Message{Data: bytes.Repeat([]byte{2}, 200), Topic: &topic}
	id1, id2 := coopMsgID(m1), coopMsgID(m2)
	rpc := &pubsub.RPC{}
	rpc.Publish = []*pb.Message{m1, m1}
	rpc.Control = &pb.ControlMessage{Ihave: []*pb.ControlIHave{{TopicID: &topic, MessageIDs: []string{id2}}}}
	rpc.Subscriptions = []*pb.RPC_SubOpts{{Topicid: &topic}}
	tr.RecvRPC(rpc)
	total, over, parts, msgs := tr.snapshot()
	size := proto.Size(&rpc.RPC)
	if total != int64(size+uvarintLen(uint64(size))) {
		t.Fatalf("total %d, want %d", total, size+uvarintLen(uint64(size)))
	}
	if got := msgs[id1].bytes + msgs[id2].bytes + over; got != total {
		t.Fatalf("attributed %d + overhead %d != total %d", msgs[id1].bytes+msgs[id2].bytes, over, total)
	}
	if msgs[id1].copies != 2 || msgs[id2].copies != 0 || msgs[id2].bytes != int64(fieldLen(20)) {
		t.Fatalf("msgs: %+v", msgs)
	}
	if parts.FirstCopies != parts.DuplicateCopies || parts.IHave != int64(fieldLen(20)) || parts.Other != over {
		t.Fatalf("breakdown: %+v", parts)
	}
	on.Store(false)
	tr.RecvRPC(rpc)
	if t2, _, _, _ := tr.snapshot(); t2 != total {
		t.Fatal("counted while off")
	}
}

// TestAnalyze runs the analysis on a hand-made observation.
func TestAnalyze(t *testing.T) {
	t0 := time.Unix(1_000_000, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	o := &observation{n: 4, end: at(10_000), offline: make([][]interval, 4)}
	o.offline[3] = []interval{{from: at(500), to: at(2_000)}}
	// event 0: needed by 1, 2, 3; 3 was offline and repaired at 2100 ms
	o.recs = append(o.recs, record{pub: at(1_000), author: 0, size: 100, msgID: "a", needs: []int{1, 2, 3},
		arr: []time.Time{at(1_000), at(1_040), at(1_120), at(2_100)}})
	// event 1: needed by 1 only; node 2 is not interested; never reached 1
	o.recs = append(o.recs, record{pub: at(3_000), author: 0, size: 300, msgID: "b", needs: []int{1},
		arr: []time.Time{at(3_000), {}, at(3_050), {}}})
	a := analyze(o)
	if a.m.DeliveriesNeeded != 4 || a.m.DeliveriesMissing != 1 || a.m.DeliveryRatio != 0.75 {
		t.Fatalf("deliveries: %+v", a.m)
	}
	if a.m.PropagationSamples != 1 || a.m.PropagationIncomplete != 1 || a.m.PropagationP50Ms != 120 {
		t.Fatalf("latency: %+v", a.m)
	}
	if a.m.EventBytes != 200 {
		t.Fatalf("S = %v", a.m.EventBytes)
	}
	if len(a.repair) != 1 || a.repair[0] != 100*time.Millisecond {
		t.Fatalf("repair: %v", a.repair)
	}
}

func TestSVG(t *testing.T) {
	r := &Result{Nodes: 100, Transport: "mocknet", LinkLatencyMs: 40, HopFloorMs: 120, ConnectionDegree: 8,
		samples: []float64{100, 130, 150, 400}, baseSamples: []float64{120, 160, 170},
		bytesPerNode: []int64{3000, 50000, 1000}, baseBytesPerNode: []int64{60000, 40000, 20000},
		Baseline: &Metrics{PropagationNeededP50Ms: 160}, BaselineDeployed: &Metrics{PropagationP50Ms: 124},
		depSamples: []float64{110, 124, 170}, depBytesPerNode: []int64{80000, 70000, 75000}}
	r.PropagationP50Ms = 130
	var b bytes.Buffer
	if err := r.WriteSVG(&b); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "as deployed") || strings.Count(b.String(), colDeployed) != 3 {
		t.Errorf("the picture lacks the as-deployed baseline's curves or legend")
	}
	d := xml.NewDecoder(&b)
	for {
		if _, err := d.Token(); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("not well-formed XML: %v", err)
		}
	}
	// an empty result must still draw
	if err := (&Result{}).WriteSVG(io.Discard); err != nil {
		t.Fatal(err)
	}
}

// TestDelayLine: writes arrive in order, about the delay late, and Close
// flushes them.
func TestDelayLine(t *testing.T) {
	defer leakCheck(t)()
	cfg, err := Config{Nodes: 6, Latency: 30 * time.Millisecond}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	f := newFabric(cfg, 2)
	defer f.close()
	for i := range 2 {
		h, err := f.mockHost(i, nodeKey(1, i))
		if err != nil {
			t.Fatal(err)
		}
		defer h.Close()
		f.register(i, h)
	}
	got := make(chan []byte, 1)
	f.host[1].SetStreamHandler("/t", func(s network.Stream) {
		b, _ := io.ReadAll(s)
		got <- b
		_ = s.Close()
	})
	ctx := context.Background()
	if err := f.connect(ctx, 0, 1); err != nil {
		t.Fatal(err)
	}
	s, err := f.host[0].NewStream(ctx, f.host[1].ID(), "/t")
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	for i := range 50 {
		if _, err := s.Write([]byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if w := time.Since(start); w > 20*time.Millisecond {
		t.Fatalf("writes blocked for %v", w)
	}
	_ = s.Close()
	b := <-got
	if el := time.Since(start); el < 30*time.Millisecond {
		t.Fatalf("arrived after %v, before the latency", el)
	}
	for i := range 50 {
		if len(b) != 50 || b[i] != byte(i) {
			t.Fatalf("got %v", b)
		}
	}
}

// TestBenchSmoke runs a tiny city with churn and the baseline, and checks
// that it completes, that every needed event arrived, and that nothing is
// left running. .ci/run runs it with the rest of `go test ./...`.
func TestBenchSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("a whole simulated coop: skipped with -short")
	}
	defer leakCheck(t)()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	res, err := Run(ctx, Config{Nodes: 16, Duration: 8 * time.Second, OrdersPerMin: 60, Churn: 0.2, ChurnOff: 2 * time.Second,
		Baseline: true, BaselineDeployed: true, Seed: 7, Log: testLog{t}})
	if err != nil {
		t.Fatal(err)
	}
	var tb strings.Builder
	if err := res.WriteTable(&tb); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + tb.String())
	js, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{`"propagation_p99_ms"`, `"bytes_per_event_ratio"`, `"baseline":{`, `"sync_round_trips"`, `"hop_floor_ms":80`, `"baseline_deployed":{`, `"order_alert_p99_ms"`, `"claim_outcome_p99_ms"`, `"topology":"own"`, `"first_menu_ms"`, `"first_menu_bytes"`, `"status":"met"`} {
		if !bytes.Contains(js, []byte(k)) {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if res.OrdersPlaced == 0 || res.OrdersDelivered != res.OrdersPlaced || res.Baseline == nil || res.Baseline.Events != res.Events {
		t.Fatalf("incomplete run: %d/%d orders, baseline %v", res.OrdersDelivered, res.OrdersPlaced, res.Baseline != nil)
	}
	if res.DeliveryRatio != 1 {
		t.Fatalf("delivery ratio %v: missing %v", res.DeliveryRatio, res.MissingByKind)
	}
	if res.OrderAlertP50Ms <= 0 || res.ClaimOutcomeP50Ms < res.ClaimResolutionP50Ms || res.BaselineDeployed.Events != res.Events {
		t.Fatalf("order alert %v ms, claim outcome %v ms (resolution %v ms), deployed baseline %d events of %d",
			res.OrderAlertP50Ms, res.ClaimOutcomeP50Ms, res.ClaimResolutionP50Ms, res.BaselineDeployed.Events, res.Events)
	}
	if res.FirstMenuError != "" || res.FirstMenuMs <= 0 || res.FirstMenuCatalogueBytes <= res.FirstMenuMenuBytes || res.FirstMenuMenuBytes <= 0 || res.FirstMenuBytes < int64(res.FirstMenuMenuBytes) {
		t.Fatalf("first menus: %v ms, %d bytes received for a catalogue of %d (menus %d), error %q",
			res.FirstMenuMs, res.FirstMenuBytes, res.FirstMenuCatalogueBytes, res.FirstMenuMenuBytes, res.FirstMenuError)
	}
	if res.ClaimsConnected+res.ClaimsRelayed != res.Claims {
		t.Fatalf("%d claims, %d filed as connected and %d as not", res.Claims, res.ClaimsConnected, res.ClaimsRelayed)
	}
}

// BenchmarkCity runs the whole simulation once per iteration (use
// -benchtime=1x) and reports its figures; CITY_NODES picks the size.
func BenchmarkCity(b *testing.B) {
	for range b.N {
		res, err := Run(context.Background(), Config{Nodes: 50, Duration: 20 * time.Second, Baseline: true})
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.PropagationP50Ms, "p50-ms")
		b.ReportMetric(res.PropagationP99Ms, "p99-ms")
		b.ReportMetric(res.Baseline.PropagationNeededP99Ms, "baseline-p99-ms")
		b.ReportMetric(res.DeliveryRatio, "delivery")
		b.ReportMetric(res.BytesPerEventRatio, "bytes/S")
		b.ReportMetric(res.UninterestedBytesPerEvent, "uninterested-B/event")
		b.ReportMetric(res.ApplyEventsPerSecPerCore, "apply-events/s")
	}
}

type testLog struct{ t *testing.T }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// leakCheck is leaktest.Check for this package's tests.
func leakCheck(t testing.TB) func() { return leaktest.Check(t) }
