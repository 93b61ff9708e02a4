package mobile

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/metrics"
	"github.com/libp2p/go-libp2p/core/peer"
	"github.com/libp2p/go-libp2p/core/protocol"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// BenchmarkCourierTraffic measures what a courier's phone costs in data
// and memory, and prints the figures:
//
//	go test -run='^$' -bench=CourierTraffic -benchtime=1x ./mobile
//
// A coop of seven plain nodes (an always-on relay that founded the coop,
// two restaurants, two customers, two couriers) runs on loopback; the
// phone under test is a dial-only courier whose only connection goes to
// the relay through a counting TCP proxy, as a phone on a carrier's NAT
// connects out to the coop's relay. "Wire" bytes are everything that
// crosses that TCP connection (Noise, yamux, libp2p streams), i.e. the
// phone's data use minus TCP/IP headers; "stream" bytes are libp2p stream
// payload (the façade's traffic counter). Idle figures come from a timed
// window (COOPNODE_BENCH_IDLE seconds, default 60) plus the periodic sync
// sessions of each mode, measured one by one; per-order figures from
// COOPNODE_BENCH_ORDERS orders (default 10). RSS comes from a separate
// process running only the phone (testdata/rsschild).
func BenchmarkCourierTraffic(b *testing.B) {
	var once sync.Once
	for range b.N {
		once.Do(func() { runTrafficBench(b) })
	}
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// countingProxy forwards TCP connections to a target and counts bytes.
type countingProxy struct {
	ln        net.Listener
	target    string
	up, down  atomic.Int64 // up: phone to relay
	conns     atomic.Int64
	wg        sync.WaitGroup
	mu        sync.Mutex
	open      []net.Conn
	closeOnce sync.Once
}

func newCountingProxy(tb testing.TB, target string) *countingProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, err)
	p := &countingProxy{ln: ln, target: target}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.close)
	return p
}

func (p *countingProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		t, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		p.conns.Add(1)
		p.mu.Lock()
		p.open = append(p.open, c, t)
		p.mu.Unlock()
		p.wg.Add(2)
		go p.pipe(t, c, &p.up)
		go p.pipe(c, t, &p.down)
	}
}

func (p *countingProxy) pipe(dst, src net.Conn, n *atomic.Int64) {
	defer p.wg.Done()
	buf := make([]byte, 32<<10)
	for {
		k, err := src.Read(buf)
		if k > 0 {
			n.Add(int64(k))
			if _, werr := dst.Write(buf[:k]); werr != nil {
				break
			}
		}
		if err != nil {
			break
		}
	}
	_ = dst.Close()
	_ = src.Close()
}

func (p *countingProxy) close() {
	p.closeOnce.Do(func() {
		_ = p.ln.Close()
		p.mu.Lock()
		for _, c := range p.open {
			_ = c.Close()
		}
		p.mu.Unlock()
		p.wg.Wait()
	})
}

// sample is the phone's counters at one moment.
type sample struct {
	at                  time.Time
	wireUp, wireDown    int64
	streamIn, streamOut int64
	proto               map[protocol.ID]metrics.Stats
}

type delta struct {
	d                   time.Duration
	wire, stream        int64
	wireUp, wireDown    int64
	streamIn, streamOut int64
	proto               map[protocol.ID]int64
}

func take(m *Node, p *countingProxy) sample {
	return sample{at: time.Now(), wireUp: p.up.Load(), wireDown: p.down.Load(),
		streamIn: m.traffic.in.Load(), streamOut: m.traffic.out.Load(), proto: m.traffic.GetBandwidthByProtocol()}
}

func (s sample) since(a sample) delta {
	d := delta{d: s.at.Sub(a.at), wireUp: s.wireUp - a.wireUp, wireDown: s.wireDown - a.wireDown,
		streamIn: s.streamIn - a.streamIn, streamOut: s.streamOut - a.streamOut, proto: map[protocol.ID]int64{}}
	d.wire, d.stream = d.wireUp+d.wireDown, d.streamIn+d.streamOut
	for p, st := range s.proto {
		if v := st.TotalIn + st.TotalOut - a.proto[p].TotalIn - a.proto[p].TotalOut; v > 0 {
			d.proto[p] = v
		}
	}
	return d
}

func (d delta) perHour() float64 { return float64(d.wire) * float64(time.Hour) / float64(d.d) }

func (d delta) protos() string {
	type kv struct {
		p protocol.ID
		v int64
	}
	var l []kv
	for p, v := range d.proto {
		l = append(l, kv{p, v})
	}
	sort.Slice(l, func(i, j int) bool { return l[i].v > l[j].v })
	var parts []string
	for _, x := range l {
		name := string(x.p)
		if name == "" {
			name = "(negotiation)"
		}
		parts = append(parts, fmt.Sprintf("%s %d", name, x.v))
	}
	return strings.Join(parts, ", ")
}

// benchNet is the coop the phone lives in.
type benchNet struct {
	*fixture
	custs    []*node.Node
	couriers []*node.Node
	proxy    *countingProxy
	invite   string
}

func newBenchNet(b *testing.B) *benchNet {
	f := newFixture(b)
	bn := &benchNet{fixture: f}
	resto2 := f.member("resto2", node.RoleRestaurant, crdt.RoleRestaurant)
	must(b, resto2.PublishProfile(f.ctx, crdt.CatalogProfile{Name: "Le Bol", Position: nearPos, Fulfilment: 1, Enabled: true}))
	bn.custs = []*node.Node{f.plain("cust1", node.RoleCustomer), f.plain("cust2", node.RoleCustomer)}
	bn.couriers = []*node.Node{f.member("courier1", node.RoleCourier, crdt.RoleCourier), f.member("courier2", node.RoleCourier, crdt.RoleCourier)}
	// a few links besides the relay, so the plain nodes form real meshes
	all := []*node.Node{f.resto, resto2, bn.custs[0], bn.custs[1], bn.couriers[0], bn.couriers[1]}
	for i, n := range all {
		next := all[(i+1)%len(all)]
		must(b, n.Connect(f.ctx, peerInfoOf(next)))
	}
	for _, n := range append(all, f.admin) {
		must(b, n.WaitMesh(f.ctx, 1))
	}
	// the phone reaches the relay through the counting proxy only
	var tcpAddr string
	for _, a := range f.admin.Host().Addrs() {
		if ip, err := a.ValueForProtocol(ma.P_IP4); err == nil {
			if port, err := a.ValueForProtocol(ma.P_TCP); err == nil {
				tcpAddr = net.JoinHostPort(ip, port)
			}
		}
	}
	bn.proxy = newCountingProxy(b, tcpAddr)
	pa, err := ma.NewMultiaddr(fmt.Sprintf("/ip4/127.0.0.1/tcp/%d/p2p/%s", bn.proxy.ln.Addr().(*net.TCPAddr).Port, f.admin.ID()))
	must(b, err)
	bn.invite = node.Invite{Coop: f.coop, Bootstrap: []ma.Multiaddr{pa}}.String()
	return bn
}

// order runs one order to delivery, carried by a plain courier.
func (bn *benchNet) order(i int) crdt.ID {
	ctx := bn.ctx
	cust, carrier := bn.custs[i%2], bn.couriers[i%2]
	id := bn.place(cust, "")
	must(bn.t, bn.resto.Accept(ctx, id, 10))
	bn.deliverBy(carrier, id)
	return id
}

func (bn *benchNet) deliverBy(carrier *node.Node, id crdt.ID) {
	ctx := bn.ctx
	_, err := carrier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
	must(bn.t, err)
	c, err := carrier.Claim(ctx, id, crdt.Position{})
	must(bn.t, err)
	_, err = carrier.AwaitClaim(ctx, id, c)
	must(bn.t, err)
	must(bn.t, bn.resto.Ready(ctx, id))
	_, err = carrier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady })
	must(bn.t, err)
	must(bn.t, carrier.Pickup(ctx, id))
	must(bn.t, carrier.Deliver(ctx, id, crdt.Proof{Recipient: "door", PhotoHash: make([]byte, 32)}))
	_, err = bn.admin.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered })
	must(bn.t, err)
}

// claimBy has a plain courier claim an accepted order and waits until
// the claim is decided.
func (bn *benchNet) claimBy(carrier *node.Node, id crdt.ID) {
	ctx := bn.ctx
	_, err := carrier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
	must(bn.t, err)
	c, err := carrier.Claim(ctx, id, crdt.Position{})
	must(bn.t, err)
	r, err := carrier.AwaitClaim(ctx, id, c)
	must(bn.t, err)
	if !r.Won {
		bn.t.Fatalf("claim lost")
	}
}

// finishBy has the plain courier holding an order carry it to delivery.
func (bn *benchNet) finishBy(carrier *node.Node, id crdt.ID) {
	ctx := bn.ctx
	must(bn.t, bn.resto.Ready(ctx, id))
	_, err := carrier.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusReady })
	must(bn.t, err)
	must(bn.t, carrier.Pickup(ctx, id))
	must(bn.t, carrier.Deliver(ctx, id, crdt.Proof{Recipient: "door", PhotoHash: make([]byte, 32)}))
	_, err = bn.admin.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered })
	must(bn.t, err)
}

// settle lets trailing gossip (IHAVE windows are three heartbeats) reach
// the counters; it is part of the measurement window, not a wait for an
// event.
func settle() { <-time.After(5 * time.Second) }

func runTrafficBench(b *testing.B) {
	idle := time.Duration(envInt("COOPNODE_BENCH_IDLE", 60)) * time.Second
	orders := envInt("COOPNODE_BENCH_ORDERS", 10)
	bn := newBenchNet(b)
	ctx := bn.ctx
	// periodic sync off during the windows: each mode's sessions are
	// measured one by one and added per hour below
	m, rec := bn.phone(b.TempDir(), "courier", map[string]any{"invite": bn.invite, "listen": []string{}, "sync_seconds": 86400,
		"low_power_sync_seconds": 86400, "on_shift_low_power_sync_seconds": 86400})
	bn.admitPhone(m, "Zoé")
	call[shiftResult](b, "GoOnShift", m.GoOnShift, req(map[string]any{"position": nearPos}))
	bn.eventually("phone follows the job board", func() bool { return status(b, m).Following.Orders })
	bn.order(0) // warm-up
	settle()

	syncCost := func() delta {
		s0 := take(m, bn.proxy)
		call[syncResult](b, "SyncNow", func(string) (string, error) { return m.SyncNow() }, "")
		return take(m, bn.proxy).since(s0)
	}

	// A. idle, foreground, on shift
	s0 := take(m, bn.proxy)
	<-time.After(idle)
	fgIdle := take(m, bn.proxy).since(s0)
	fgSync := syncCost()

	// B. orders others carry, phone in the foreground on shift
	st0 := m.n.Stats(ctx)
	s0 = take(m, bn.proxy)
	var last crdt.ID
	for i := range orders {
		last = bn.order(i)
	}
	bn.eventually("phone saw the last delivery", func() bool {
		s, err := m.n.Order(ctx, last)
		return err == nil && s.Status == crdt.StatusDelivered
	})
	settle()
	fgOrders := take(m, bn.proxy).since(s0)
	st1 := m.n.Stats(ctx)
	fgSessions := st1.SyncSessions - st0.SyncSessions
	fgSyncBytes := st1.SyncBytesIn + st1.SyncBytesOut - st0.SyncBytesIn - st0.SyncBytesOut

	// C. orders the phone carries itself
	own := 3
	s0 = take(m, bn.proxy)
	for range own {
		id := bn.place(bn.custs[0], "")
		must(b, bn.resto.Accept(ctx, id, 10))
		rec.wait(b, "job", rec.jobFor(id, true))
		cl := call[claimResult](b, "Claim", m.Claim, req(map[string]any{"order": id.String()}))
		call[claimResult](b, "AwaitClaim", m.AwaitClaim, req(map[string]any{"order": id.String(), "claim": cl.Claim}))
		must(b, bn.resto.Ready(ctx, id))
		rec.wait(b, "ready", rec.orderIs(id, "ready"))
		call[actionResult](b, "Pickup", m.Pickup, req(map[string]any{"order": id.String()}))
		call[actionResult](b, "Deliver", m.Deliver, req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa"}}))
		_, err := bn.admin.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered })
		must(b, err)
	}
	settle()
	ownOrders := take(m, bn.proxy).since(s0)

	// D. idle, low power (on shift)
	must(b, m.SetLowPower(true))
	settle()
	s0 = take(m, bn.proxy)
	<-time.After(idle)
	lpIdle := take(m, bn.proxy).since(s0)
	lpSync := syncCost()

	// E. orders in low power: the phone hears of them only through its
	// periodic sync sessions: one while they are open jobs, one after
	s0 = take(m, bn.proxy)
	var ids []crdt.ID
	for i := range orders {
		id := bn.place(bn.custs[i%2], "")
		must(b, bn.resto.Accept(ctx, id, 10))
		ids = append(ids, id)
	}
	for _, id := range ids {
		_, err := bn.admin.WaitOrder(ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusAccepted })
		must(b, err)
	}
	call[syncResult](b, "SyncNow", func(string) (string, error) { return m.SyncNow() }, "")
	for i, id := range ids {
		bn.deliverBy(bn.couriers[i%2], id)
	}
	call[syncResult](b, "SyncNow", func(string) (string, error) { return m.SyncNow() }, "")
	settle()
	lpOrders := take(m, bn.proxy).since(s0)

	must(b, m.SetLowPower(false))
	bn.eventually("phone follows the job board again", func() bool { return status(b, m).Following.Orders })
	settle()
	// T. live tracking (SPEC.md §16.11), phone back in the foreground on
	// shift (last, so that its orders do not weigh on the phases above):
	// positions other couriers share with their customers (the
	// phone is no party: it gets ciphertext it cannot open), then one the
	// phone shares for the orders it holds
	const others, mine = 4, 3
	var theirs []crdt.ID
	for i := range others {
		id := bn.place(bn.custs[i%2], "")
		must(b, bn.resto.Accept(ctx, id, 10))
		bn.claimBy(bn.couriers[i%2], id)
		theirs = append(theirs, id)
	}
	settle()
	s0 = take(m, bn.proxy)
	for _, c := range bn.couriers {
		if k, err := c.UpdatePosition(ctx, nearPos); err != nil || k != others/2 {
			b.Fatalf("a courier told %d orders: %v", k, err)
		}
	}
	settle()
	othersTrack := take(m, bn.proxy).since(s0)
	var held []crdt.ID
	for range mine {
		id := bn.place(bn.custs[0], "")
		must(b, bn.resto.Accept(ctx, id, 10))
		rec.wait(b, "job", rec.jobFor(id, true))
		cl := call[claimResult](b, "Claim", m.Claim, req(map[string]any{"order": id.String()}))
		call[claimResult](b, "AwaitClaim", m.AwaitClaim, req(map[string]any{"order": id.String(), "claim": cl.Claim}))
		held = append(held, id)
	}
	settle()
	s0 = take(m, bn.proxy)
	if pos := call[positionResult](b, "UpdatePosition", m.UpdatePosition, req(nearPos)); pos.OrdersTold != mine {
		b.Fatalf("UpdatePosition told %d orders, want %d", pos.OrdersTold, mine)
	}
	settle()
	ownTrack := take(m, bn.proxy).since(s0)
	for i, id := range theirs {
		bn.finishBy(bn.couriers[i%2], id)
	}
	for _, id := range held {
		must(b, bn.resto.Ready(ctx, id))
		rec.wait(b, "ready", rec.orderIs(id, "ready"))
		call[actionResult](b, "Pickup", m.Pickup, req(map[string]any{"order": id.String()}))
		call[actionResult](b, "Deliver", m.Deliver, req(map[string]any{"order": id.String(), "proof": map[string]any{"recipient": "Léa"}}))
	}

	if c := bn.proxy.conns.Load(); c != 1 || len(m.h.Network().Peers()) != 1 {
		b.Fatalf("the phone made %d proxied connections and has %d peers: figures would miss traffic", c, len(m.h.Network().Peers()))
	}

	// per-order figures net of the idle background over the same time and
	// of the sync sessions any hour would have anyway
	netOf := func(d delta, idle delta, n int, minus int64) float64 {
		return (float64(d.wire) - idle.perHour()*d.d.Hours() - float64(minus)) / float64(n)
	}
	fgHour := fgIdle.perHour() + 3600/300*float64(fgSync.wire)
	lpHourShift := lpIdle.perHour() + 3600/120*float64(lpSync.wire)
	lpHourOff := lpIdle.perHour() + 3600/900*float64(lpSync.wire)
	perFg := netOf(fgOrders, fgIdle, orders, 0)
	perOwn := netOf(ownOrders, fgIdle, own, 0)
	perLp := netOf(lpOrders, lpIdle, orders, 2*lpSync.wire)
	perOtherTrack := netOf(othersTrack, fgIdle, others, 0)
	perOwnTrack := netOf(ownTrack, fgIdle, mine, 0)
	rss := measureRSS(b, bn)

	const perDay = 200
	allDayFg := 24*fgHour + perDay*perFg
	shiftDay := 8*fgHour + 16*lpHourOff + perDay*perFg

	w := os.Stdout
	fmt.Fprintf(w, "\ncourier phone, dial-only, one TCP connection to the coop's relay (leaf gossip)\n")
	fmt.Fprintf(w, "wire = bytes through that connection (Noise, yamux, payload; no TCP/IP headers); stream = libp2p stream payload\n")
	fmt.Fprintf(w, "idle, foreground on shift:   %8.0f B/h wire  (window %v: %d B wire, %d B stream; + 12 syncs/h × %d B)\n",
		fgHour, fgIdle.d.Round(time.Second), fgIdle.wire, fgIdle.stream, fgSync.wire)
	fmt.Fprintf(w, "    by protocol in the window: %s\n", fgIdle.protos())
	fmt.Fprintf(w, "idle, low power on shift:    %8.0f B/h wire  (window %v: %d B wire; + 30 syncs/h × %d B)\n",
		lpHourShift, lpIdle.d.Round(time.Second), lpIdle.wire, lpSync.wire)
	fmt.Fprintf(w, "    by protocol in the window: %s\n", lpIdle.protos())
	fmt.Fprintf(w, "idle, low power off shift:   %8.0f B/h wire  (+ 4 syncs/h)\n", lpHourOff)
	fmt.Fprintf(w, "per order, foreground (job board, carried by others): %6.0f B wire  (%d orders, %d B wire, %d B stream)\n",
		perFg, orders, fgOrders.wire, fgOrders.stream)
	fmt.Fprintf(w, "    by protocol: %s; up %d B, down %d B wire; %d sync sessions started by the phone, %d B of sync frames both ways\n",
		fgOrders.protos(), fgOrders.wireUp, fgOrders.wireDown, fgSessions, fgSyncBytes)
	fmt.Fprintf(w, "per order, foreground (carried by this phone):        %6.0f B wire  (%d orders, %d B wire)\n", perOwn, own, ownOrders.wire)
	fmt.Fprintf(w, "per order, low power (two sync sessions):             %6.0f B wire  (%d orders, %d B wire)\n", perLp, orders, lpOrders.wire)
	fmt.Fprintf(w, "live tracking, foreground: %5.0f B wire per position another courier shares (%d, phone not a party: %d B wire, %d B stream; by protocol: %s)\n",
		perOtherTrack, others, othersTrack.wire, othersTrack.stream, othersTrack.protos())
	fmt.Fprintf(w, "                           %5.0f B wire per order told when the phone shares its position (%d orders in one update: %d B wire, up %d B)\n",
		perOwnTrack, mine, ownTrack.wire, ownTrack.wireUp)
	fmt.Fprintf(w, "a coop doing %d orders/day: %.2f MB/day all day in the foreground on shift; %.2f MB/day with 8 h foreground + 16 h low power (target ≤ 3 MB/day)\n",
		perDay, allDayFg/1e6, shiftDay/1e6)
	fmt.Fprintf(w, "RSS of a phone node alone in its process: %.1f MB now, %.1f MB peak (target ≤ 40 MB): %.1f MB anonymous, %.1f MB mapped binary; Go heap in use %.1f MB, Go runtime total %.1f MB\n",
		rss.RSSKB/1024, rss.HWMKB/1024, rss.AnonKB/1024, rss.FileKB/1024, float64(rss.HeapInuse)/(1<<20), float64(rss.Sys)/(1<<20))
	b.ReportMetric(fgHour, "B/h-idle-fg")
	b.ReportMetric(lpHourShift, "B/h-idle-lowpower")
	b.ReportMetric(perFg, "B/order-fg")
	b.ReportMetric(perOwn, "B/order-own")
	b.ReportMetric(perLp, "B/order-lowpower")
	b.ReportMetric(perOtherTrack, "B/track-others")
	b.ReportMetric(perOwnTrack, "B/track-own")
	b.ReportMetric(allDayFg/1e6, "MB/day-fg")
	b.ReportMetric(rss.HWMKB/1024, "MB-RSS-peak")
}

func peerInfoOf(n *node.Node) peer.AddrInfo {
	return peer.AddrInfo{ID: n.ID(), Addrs: n.Host().Addrs()}
}

// ---- RSS: the phone alone in a child process ----

type rssReport struct {
	RSSKB     float64 `json:"rss_kb"`
	HWMKB     float64 `json:"hwm_kb"`
	AnonKB    float64 `json:"anon_kb"` // heap, stacks, C allocations
	FileKB    float64 `json:"file_kb"` // mapped binary pages
	HeapInuse uint64  `json:"heap_inuse"`
	Sys       uint64  `json:"sys"`
	Jobs      int     `json:"jobs"`
	Delivered int     `json:"delivered"`
}

// measureRSS builds testdata/rsschild (stripped, like a release build of
// the app's Go library) and runs it as a courier bot driven by callbacks:
// it claims every job, and picks up and delivers what it wins. The parent
// feeds it 20 orders, then asks for its memory figures.
func measureRSS(b *testing.B, bn *benchNet) rssReport {
	bin := filepath.Join(b.TempDir(), "rsschild")
	build := exec.Command("go", "build", "-ldflags=-s -w", "-o", bin, "./testdata/rsschild")
	build.Stderr = os.Stderr
	must(b, build.Run())
	cmd := exec.Command(bin, b.TempDir(), bn.invite)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	must(b, err)
	stdout, err := cmd.StdoutPipe()
	must(b, err)
	must(b, cmd.Start())
	defer func() { _ = cmd.Wait() }()
	defer stdin.Close()
	lines := bufio.NewScanner(stdout)
	next := func() []byte {
		for lines.Scan() {
			if json.Valid(lines.Bytes()) {
				return append([]byte(nil), lines.Bytes()...)
			}
		}
		b.Fatalf("RSS child ended: %v", lines.Err())
		return nil
	}
	var hello struct{ Key string }
	must(b, json.Unmarshal(next(), &hello))
	k, err := crdt.ParsePubKey(hello.Key)
	must(b, err)
	must(b, bn.admin.Admit(bn.ctx, k, crdt.RoleCourier, "bot"))
	_, _ = io.WriteString(stdin, "admitted\n")
	next() // on shift
	const n = 20
	for i := range n {
		id := bn.place(bn.custs[i%2], "")
		must(b, bn.resto.Accept(bn.ctx, id, 10))
		s, err := bn.resto.WaitOrder(bn.ctx, id, func(s *crdt.OrderState) bool { return s.HolderConfirmed })
		must(b, err)
		if s.Holder != k {
			b.Fatalf("order %d went to another courier", i)
		}
		must(b, bn.resto.Ready(bn.ctx, id))
		_, err = bn.admin.WaitOrder(bn.ctx, id, func(s *crdt.OrderState) bool { return s.Status == crdt.StatusDelivered })
		must(b, err)
	}
	_, _ = io.WriteString(stdin, "report\n")
	var r rssReport
	must(b, json.Unmarshal(next(), &r))
	if r.Delivered != n {
		b.Fatalf("the bot delivered %d orders, want %d", r.Delivered, n)
	}
	return r
}
