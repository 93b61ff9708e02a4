package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/libp2p/go-libp2p"
	"github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/host"
	"github.com/libp2p/go-libp2p/core/peer"
	mocknet "github.com/libp2p/go-libp2p/p2p/net/mock"
	"github.com/multiformats/go-multiaddr"
)

// graph is an undirected connection graph on n nodes: adj[i] lists i's
// neighbours in ascending order.
type graph struct {
	adj [][]int
}

// buildGraph draws a connected graph with average degree close to k: a
// random ring (connectivity) plus random edges between nodes still below
// degree k. Every peer then holds about k connections, as a coop node
// with a connection manager would.
func buildGraph(n, k int, rng *rand.Rand) graph {
	g := graph{adj: make([][]int, n)}
	if n < 2 {
		return g
	}
	has := make([]map[int]bool, n)
	for i := range has {
		has[i] = map[int]bool{}
	}
	edges := 0
	add := func(a, b int) bool {
		if a == b || has[a][b] {
			return false
		}
		has[a][b], has[b][a] = true, true
		edges++
		return true
	}
	perm := rng.Perm(n)
	for i := range n {
		if n == 2 && i == 1 {
			break
		}
		add(perm[i], perm[(i+1)%n])
	}
	target := min(n*k/2, n*(n-1)/2)
	for tries := 0; edges < target && tries < 200*target; tries++ {
		a, b := rng.Intn(n), rng.Intn(n)
		if len(has[a]) >= k || len(has[b]) >= k {
			continue
		}
		add(a, b)
	}
	for tries := 0; edges < target && tries < 200*target; tries++ { // top up if the degree cap got stuck
		add(rng.Intn(n), rng.Intn(n))
	}
	for i := range n {
		for j := range has[i] {
			g.adj[i] = append(g.adj[i], j)
		}
		sort.Ints(g.adj[i])
	}
	return g
}

// buildRoleGraph draws the graph SPEC.md §10.4 asks nodes to keep: the
// followers of the orders topic (follower[i]) form a connected random graph
// of average degree close to k among themselves, and every leaf connects to
// leafLinks distinct followers, each the less loaded of two drawn at random
// (so no follower carries many more phones than another). Leaves are never
// linked to each other: a phone's few connections go to nodes that have its
// orders.
func buildRoleGraph(follower []bool, k, leafLinks int, rng *rand.Rand) graph {
	n := len(follower)
	var fs []int
	for i, f := range follower {
		if f {
			fs = append(fs, i)
		}
	}
	core := buildGraph(len(fs), min(k, len(fs)-1), rng)
	g := graph{adj: make([][]int, n)}
	link := func(a, b int) {
		g.adj[a] = append(g.adj[a], b)
		g.adj[b] = append(g.adj[b], a)
	}
	for a, ns := range core.adj {
		for _, b := range ns {
			if a < b {
				link(fs[a], fs[b])
			}
		}
	}
	for i := range n {
		if follower[i] || len(fs) == 0 {
			continue
		}
		picked := map[int]bool{}
		for len(picked) < min(leafLinks, len(fs)) {
			a, b := fs[rng.Intn(len(fs))], fs[rng.Intn(len(fs))]
			if len(g.adj[b]) < len(g.adj[a]) || picked[a] {
				a = b
			}
			if picked[a] {
				continue
			}
			picked[a] = true
			link(i, a)
		}
	}
	for i := range g.adj {
		sort.Ints(g.adj[i])
	}
	return g
}

func (g graph) meanDegree() float64 {
	if len(g.adj) == 0 {
		return 0
	}
	s := 0
	for _, a := range g.adj {
		s += len(a)
	}
	return float64(s) / float64(len(g.adj))
}

// edges lists every edge once, as (a, b) with a < b.
func (g graph) edges() [][2]int {
	var out [][2]int
	for a, ns := range g.adj {
		for _, b := range ns {
			if a < b {
				out = append(out, [2]int{a, b})
			}
		}
	}
	return out
}

// nodeKey derives node i's Ed25519 identity from the seed. The baseline
// uses the same keys, so both runs have the same key type and peer IDs.
func nodeKey(seed int64, i int) ed25519.PrivateKey {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(seed))
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	s := sha256.Sum256(append([]byte("coopnode bench node "), b[:]...))
	return ed25519.NewKeyFromSeed(s[:])
}

func libp2pKey(k ed25519.PrivateKey) (crypto.PrivKey, error) {
	return crypto.UnmarshalEd25519PrivateKey(k)
}

// fabric is the network the hosts live on: mocknet links with latency and
// bandwidth, or real TCP on loopback. Link changes (churn) go through it
// and are serialised by its lock.
type fabric struct {
	mn    mocknet.Mocknet // nil on loopback
	delay time.Duration   // delay-line latency on every stream (see latency.go)
	// shared: the mocknet is a city's (city.go), shared with other coops'
	// fabrics; base offsets this fabric's host addresses in it
	shared bool
	base   int
	mu     sync.Mutex
	idx    map[peer.ID]int
	up     map[[2]int]bool // edges currently connected
	host   []host.Host
}

func newFabric(cfg Config, n int) *fabric {
	f := &fabric{idx: map[peer.ID]int{}, up: map[[2]int]bool{}, host: make([]host.Host, n)}
	if !cfg.Loopback {
		f.mn = mocknet.New()
		if cfg.MocknetLatency {
			f.mn.SetLinkDefaults(mocknet.LinkOptions{Latency: cfg.Latency, Bandwidth: cfg.Bandwidth})
		} else {
			f.mn.SetLinkDefaults(mocknet.LinkOptions{Bandwidth: cfg.Bandwidth})
			f.delay = cfg.Latency
		}
	}
	return f
}

// newCityMocknet is the mocknet of a city's coops (mocknet only).
func newCityMocknet(cfg Config) mocknet.Mocknet {
	mn := mocknet.New()
	if cfg.MocknetLatency {
		mn.SetLinkDefaults(mocknet.LinkOptions{Latency: cfg.Latency, Bandwidth: cfg.Bandwidth})
	} else {
		mn.SetLinkDefaults(mocknet.LinkOptions{Bandwidth: cfg.Bandwidth})
	}
	return mn
}

// newSharedFabric is one coop's fabric on a city's mocknet: its hosts'
// addresses start at base; closing it leaves the mocknet to the city.
func newSharedFabric(cfg Config, n int, mn mocknet.Mocknet, base int) *fabric {
	f := &fabric{mn: mn, shared: true, base: base, idx: map[peer.ID]int{}, up: map[[2]int]bool{}, host: make([]host.Host, n)}
	if !cfg.MocknetLatency {
		f.delay = cfg.Latency
	}
	return f
}

// mockHost adds node i's host to the mocknet (mocknet only).
func (f *fabric) mockHost(i int, k ed25519.PrivateKey) (host.Host, error) {
	sk, err := libp2pKey(k)
	if err != nil {
		return nil, err
	}
	a := f.base + i
	addr, err := multiaddr.NewMultiaddr(fmt.Sprintf("/ip4/10.%d.%d.%d/tcp/4001", (a>>16)&255, (a>>8)&255, a&255))
	if err != nil {
		return nil, err
	}
	h, err := f.mn.AddPeer(sk, addr) // mocknet-internal address, never dialled for real
	if err != nil {
		return nil, fmt.Errorf("bench: mocknet peer %d: %w", i, err)
	}
	if f.delay > 0 {
		return newDelayHost(h, f.delay), nil
	}
	return h, nil
}

// loopbackHost starts a plain libp2p host on 127.0.0.1 TCP (the baseline's
// hosts on loopback; coopnode nodes start their own).
func loopbackHost(k ed25519.PrivateKey) (host.Host, error) {
	sk, err := libp2pKey(k)
	if err != nil {
		return nil, err
	}
	return libp2p.New(libp2p.Identity(sk), libp2p.ListenAddrStrings("/ip4/127.0.0.1/tcp/0"))
}

func (f *fabric) register(i int, h host.Host) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.host[i] = h
	f.idx[h.ID()] = i
}

func key2(a, b int) [2]int {
	if a > b {
		a, b = b, a
	}
	return [2]int{a, b}
}

// connect links (mocknet) and connects a and b.
func (f *fabric) connect(ctx context.Context, a, b int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ha, hb := f.host[a], f.host[b]
	if f.mn != nil {
		if _, err := f.mn.LinkPeers(ha.ID(), hb.ID()); err != nil {
			return fmt.Errorf("bench: link %d-%d: %w", a, b, err)
		}
		if _, err := f.mn.ConnectPeers(ha.ID(), hb.ID()); err != nil {
			return fmt.Errorf("bench: connect %d-%d: %w", a, b, err)
		}
	} else if err := ha.Connect(ctx, peer.AddrInfo{ID: hb.ID(), Addrs: hb.Addrs()}); err != nil {
		return fmt.Errorf("bench: connect %d-%d: %w", a, b, err)
	}
	f.up[key2(a, b)] = true
	return nil
}

// linkOnly links a and b on mocknet without connecting (a later dial
// connects); on loopback it only teaches a the address of b.
func (f *fabric) linkOnly(a, b int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	ha, hb := f.host[a], f.host[b]
	ha.Peerstore().AddAddrs(hb.ID(), hb.Addrs(), 10*time.Minute)
	if f.mn != nil {
		if _, err := f.mn.LinkPeers(ha.ID(), hb.ID()); err != nil {
			return fmt.Errorf("bench: link %d-%d: %w", a, b, err)
		}
	}
	f.up[key2(a, b)] = true
	return nil
}

// linkAll links every pair of hosts on mocknet (nothing to do on
// loopback, where any node may dial any other).
func (f *fabric) linkAll() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mn == nil {
		return nil
	}
	for a := range f.host {
		for b := a + 1; b < len(f.host); b++ {
			if _, err := f.mn.LinkPeers(f.host[a].ID(), f.host[b].ID()); err != nil {
				return fmt.Errorf("bench: link %d-%d: %w", a, b, err)
			}
			f.up[key2(a, b)] = true
		}
	}
	return nil
}

// linkNew links a host that is not one of the cast to every host of the
// cast (mocknet only): any node may dial it, and it may dial any.
func (f *fabric) linkNew(h host.Host) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, o := range f.host {
		if o == nil {
			continue
		}
		if _, err := f.mn.LinkPeers(h.ID(), o.ID()); err != nil {
			return fmt.Errorf("bench: link a new node to %d: %w", i, err)
		}
	}
	return nil
}

// snapshot is the connection graph now.
func (f *fabric) snapshot() graph {
	f.mu.Lock()
	defer f.mu.Unlock()
	g := graph{adj: make([][]int, len(f.host))}
	for i, h := range f.host {
		if h == nil {
			continue
		}
		for _, p := range h.Network().Peers() {
			if j, ok := f.idx[p]; ok && j != i {
				g.adj[i] = append(g.adj[i], j)
			}
		}
	}
	for i, a := range g.adj { // keep only edges both sides see
		keep := a[:0]
		for _, j := range a {
			if slices.Contains(g.adj[j], i) {
				keep = append(keep, j)
			}
		}
		g.adj[i] = keep
		sort.Ints(g.adj[i])
	}
	return g
}

// cut takes the edge down: the mocknet link is removed (so nothing can
// redial it) and the connection closed; on loopback the connection is
// closed on both sides.
func (f *fabric) cut(a, b int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.up[key2(a, b)] {
		return
	}
	delete(f.up, key2(a, b))
	ha, hb := f.host[a], f.host[b]
	if f.mn != nil {
		_ = f.mn.UnlinkPeers(ha.ID(), hb.ID())
		_ = f.mn.DisconnectPeers(ha.ID(), hb.ID())
		return
	}
	_ = ha.Network().ClosePeer(hb.ID())
	_ = hb.Network().ClosePeer(ha.ID())
}

// index returns a copy of the peer ID → node index map.
func (f *fabric) index() map[peer.ID]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make(map[peer.ID]int, len(f.idx))
	for k, v := range f.idx {
		out[k] = v
	}
	return out
}

func (f *fabric) isUp(a, b int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.up[key2(a, b)]
}

// close stops the mocknet (hosts are closed by their owners first),
// unless it is a city's.
func (f *fabric) close() {
	if f.mn != nil && !f.shared {
		_ = f.mn.Close()
	}
}

// eccentricities returns, for every node, the largest number of hops to
// any other node over the connection graph: a flood from that node cannot
// reach everyone sooner than that many link latencies. A node that cannot
// reach every other gets len(g.adj).
func (g graph) eccentricities() []int {
	n := len(g.adj)
	out := make([]int, n)
	dist := make([]int, n)
	for s := range n {
		for i := range dist {
			dist[i] = -1
		}
		dist[s] = 0
		q := []int{s}
		reached := 1
		for len(q) > 0 {
			v := q[0]
			q = q[1:]
			for _, w := range g.adj[v] {
				if dist[w] < 0 {
					dist[w] = dist[v] + 1
					out[s] = max(out[s], dist[w])
					q = append(q, w)
					reached++
				}
			}
		}
		if reached < n {
			out[s] = n
		}
	}
	return out
}

// meshGraph is the gossip mesh of topic as the tracers see it now: an edge
// wherever either side has the other in its mesh.
func meshGraph(trs []*byteTracer, idx map[peer.ID]int, topic string) graph {
	has := make([]map[int]bool, len(trs))
	for i := range has {
		has[i] = map[int]bool{}
	}
	for i, t := range trs {
		for _, p := range t.meshPeers(topic) {
			if j, ok := idx[p]; ok && j != i {
				has[i][j], has[j][i] = true, true
			}
		}
	}
	g := graph{adj: make([][]int, len(trs))}
	for i := range has {
		for j := range has[i] {
			g.adj[i] = append(g.adj[i], j)
		}
		sort.Ints(g.adj[i])
	}
	return g
}

// floors returns the median and the largest eccentricity of g in hops,
// and whether g is connected.
func (g graph) floors() (p50, worst int, connected bool) {
	ecc := g.eccentricities()
	if len(ecc) == 0 {
		return 0, 0, true
	}
	sort.Ints(ecc)
	worst = ecc[len(ecc)-1]
	return ecc[len(ecc)/2], worst, len(ecc) < 2 || worst < len(ecc)
}
