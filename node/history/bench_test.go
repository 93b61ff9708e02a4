package history

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
	"github.com/libp2p/go-libp2p/core/peer"
)

// The history benchmark (issue 14). It generates a coop's history into
// pebble stores, then starts nodes on them, each in a child process (the
// test binary run again, see TestMain) so that its RSS is its own:
//
//	go test -run '^$' -bench History -benchtime 1x ./node/history
//	HISTORY_MONTHS=1,3,6,12 go test -run '^$' -bench History -benchtime 1x -timeout 60m ./node/history
//
// HISTORY_MONTHS lists the history lengths, in months of 30 days (12 is
// taken as 365 days); the default is one month, which CI runs.
// HISTORY_DIR keeps the generated stores there and reuses them on the
// next run (the nodes' start-ups write to them, so reuse is for profiling,
// not for the figures); HISTORY_CPUPROFILE=path writes each child's CPU
// profile of its start-up and queries to path.<role>.
// HISTORY_UNMARKED=1 writes the stores without verified markers, so the
// start-up figures are those of a first start after an upgrade (every
// signature checked, and marked).

// child is what a child process measures and prints as one JSON line.
type child struct {
	Role       string  `json:"role"`
	StartupS   float64 `json:"startup_s"`
	Events     int     `json:"events"`
	HeapMB     float64 `json:"heap_mb"`
	RSSMB      float64 `json:"rss_mb"`
	OpenMs     float64 `json:"open_ms,omitempty"`
	Open       int     `json:"open,omitempty"`
	MonthMs    float64 `json:"month_ms,omitempty"`
	MonthFirst float64 `json:"month_first_ms,omitempty"` // the first of the nine
	MonthCount int     `json:"month,omitempty"`
	Archived   int     `json:"archived"` // orders this start archived
}

const childEnv = "HISTORY_CHILD" // dir|role|key hex|coop hex|end ms

func TestMain(m *testing.M) {
	if spec := os.Getenv(childEnv); spec != "" {
		if err := runChild(spec); err != nil {
			fmt.Fprintln(os.Stderr, "history child:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runChild(spec string) error {
	f := strings.Split(spec, "|")
	if len(f) != 5 {
		return fmt.Errorf("bad %s %q", childEnv, spec)
	}
	dir, role := f[0], f[1]
	seed, err := hex.DecodeString(f[2])
	if err != nil {
		return err
	}
	coopB, err := hex.DecodeString(f[3])
	if err != nil {
		return err
	}
	var coop crdt.ID
	copy(coop[:], coopB)
	end, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil {
		return err
	}
	key := ed25519.NewKeyFromSeed(seed)
	if p := os.Getenv("HISTORY_CPUPROFILE"); p != "" {
		f, err := os.Create(p + "." + role)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	r := map[string]node.Role{"relay": node.RoleCourier, "restaurant": node.RoleRestaurant, "customer": node.RoleCustomer}[role]
	ctx := context.Background()
	t0 := time.Now()
	n, err := node.New(ctx, node.WithKey(key), node.WithRole(r), node.WithDataDir(dir), node.WithCoop(coop),
		node.WithClock(Clock(time.UnixMilli(end).Add(afterEnd))),
		node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithSyncInterval(-1), node.WithSyncOnConnect(false))
	if err != nil {
		return err
	}
	out := child{Role: role, StartupS: time.Since(t0).Seconds()}
	defer n.Close()
	st := n.Stats(ctx)
	out.Events, out.Archived = st.EventsStored, st.Archived
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out.HeapMB = float64(ms.HeapAlloc) / 1e6
	out.RSSMB = float64(rss()) / 1e6
	if role == "restaurant" {
		me := pub(key)
		out.OpenMs, _, out.Open, err = timed(func() (int, error) {
			os, err := n.Orders(ctx, node.OrderFilter{Open: true, Party: me})
			return len(os), err
		})
		if err != nil {
			return err
		}
		from := end - 30*24*3600*1000
		out.MonthMs, out.MonthFirst, out.MonthCount, err = timed(func() (int, error) {
			os, err := n.Orders(ctx, node.OrderFilter{Party: me, Since: from})
			c := 0
			for _, o := range os {
				if o.PlacedAt >= from {
					c++
				}
			}
			return c, err
		})
		if err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

// timed runs q nine times and returns the median and the first time in ms.
func timed(q func() (int, error)) (median, first float64, count int, err error) {
	var ds []float64
	for i := 0; i < 9; i++ {
		t0 := time.Now()
		n, err := q()
		if err != nil {
			return 0, 0, 0, err
		}
		ds, count = append(ds, float64(time.Since(t0).Microseconds())/1000), n
	}
	first = ds[0]
	slices.Sort(ds)
	return ds[len(ds)/2], first, count, nil
}

// rss is the process's resident set in bytes (VmRSS), 0 if unknown.
func rss() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

func months() ([]int, error) {
	v := os.Getenv("HISTORY_MONTHS")
	if v == "" {
		return []int{1}, nil
	}
	var out []int
	for _, s := range strings.Split(v, ",") {
		m, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || m < 1 || m > 24 {
			return nil, fmt.Errorf("HISTORY_MONTHS: %q is not a number of months (1..24)", s)
		}
		out = append(out, m)
	}
	return out, nil
}

func BenchmarkHistory(b *testing.B) {
	ms, err := months()
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		fmt.Printf("%-7s %8s | %-10s %9s %8s %8s | %9s %9s | %9s | %s\n", "history", "events", "node", "start-up", "heap", "RSS", "open q", "month q", "idle sync", "catch-up d events: trips, bytes vs 1.1·d·S+2KB")
		for _, m := range ms {
			if err := historyRow(b, m); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// afterEnd: the nodes' clocks read the end of the history plus this, past
// its last events (ratings come hours after the last day's deliveries),
// which would otherwise be refused as from the future (clock_skew).
const afterEnd = 12 * time.Hour

// missedOrders is how many of the last orders the lagging relay misses.
const missedOrders = 20

func historyRow(b *testing.B, m int) error {
	days := 30 * m
	if m == 12 {
		days = 365
	}
	ctx := context.Background()
	g := New(Coop(days))
	g.Unmarked = os.Getenv("HISTORY_UNMARKED") != ""
	dir := b.TempDir()
	if keep := os.Getenv("HISTORY_DIR"); keep != "" {
		dir = filepath.Join(keep, fmt.Sprintf("%dmo", m))
	}
	names := []string{"relay", "relay2", "behind", "restaurant", "customer"}
	// the relay behind last synced just before the first event it missed
	// (it went offline then): its next session starts from there (SPEC.md
	// §8.6.3, since)
	behindLast := int64(math.MaxInt64)
	holds := []Holder{Everything, Everything, func(e Event) bool {
		if e.Order > g.Orders()-missedOrders {
			behindLast = min(behindLast, e.Wall-1)
			return false
		}
		return true
	}, RestaurantOf(0), CustomerOf(0)}
	_, statErr := os.Stat(filepath.Join(dir, "done"))
	reuse := statErr == nil
	stores := make([]*node.Store, len(names))
	for i, nm := range names {
		s, err := node.OpenPebble(filepath.Join(dir, nm))
		if err != nil {
			return err
		}
		stores[i] = s
	}
	t0 := time.Now()
	counts := make([]int, len(stores))
	var err error
	if reuse { // HISTORY_DIR from an earlier run: the same bytes
		g.Base()
	} else if counts, err = g.Write(ctx, g.Orders(), stores, holds); err != nil {
		return err
	} else if err := stores[2].PutMeta(ctx, "last_synced", binary.BigEndian.AppendUint64(nil, uint64(behindLast))); err != nil {
		return err
	}
	for _, s := range stores {
		if err := s.Close(); err != nil {
			return err
		}
	}
	genS := time.Since(t0).Seconds()
	if !reuse {
		if err := os.WriteFile(filepath.Join(dir, "done"), nil, 0o644); err != nil {
			return err
		}
	}
	coop := hex.EncodeToString(g.Coop[:])
	end := strconv.FormatInt(g.End().UnixMilli(), 10)
	runAt := func(nm string, key ed25519.PrivateKey, end string) (child, error) {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), childEnv+"="+strings.Join([]string{filepath.Join(dir, nm), roleOf(nm), hex.EncodeToString(key.Seed()), coop, end}, "|"))
		cmd.Stderr = os.Stderr
		out, err := cmd.Output()
		if err != nil {
			return child{}, fmt.Errorf("child %s: %w", nm, err)
		}
		var c child
		if err := json.Unmarshal(out, &c); err != nil {
			return child{}, fmt.Errorf("child %s: %q: %w", nm, out, err)
		}
		return c, nil
	}
	run := func(nm string, key ed25519.PrivateKey) (child, error) { return runAt(nm, key, end) }
	keys := map[string]ed25519.PrivateKey{"relay": g.Couriers[0], "restaurant": g.Restaurants[0], "customer": g.Custom[0]}
	// the first start on a generated store archives every order past the
	// horizon (as a node upgraded to archival does once); the figures are
	// the second start's
	var rows, firsts []child
	for _, nm := range []string{"relay", "restaurant", "customer"} {
		first, err := run(nm, keys[nm])
		if err != nil {
			return err
		}
		c, err := run(nm, keys[nm])
		if err != nil {
			return err
		}
		rows, firsts = append(rows, c), append(firsts, first)
	}
	idle, catch, err := syncFigures(ctx, dir, g)
	if err != nil {
		return err
	}
	// the relay two days later (no new orders): the one-off tombstones of
	// the first start's archival are gone (SPEC.md §4.5: at least a day)
	// (the first of these starts forgets them: the second is measured)
	endLater := strconv.FormatInt(g.End().Add(48*time.Hour).UnixMilli(), 10)
	forget, err := runAt("relay", keys["relay"], endLater)
	if err != nil {
		return err
	}
	later, err := runAt("relay", keys["relay"], endLater)
	if err != nil {
		return err
	}
	label := fmt.Sprintf("%d mo", m)
	for i, c := range rows {
		q := ""
		if c.Role == "restaurant" {
			q = fmt.Sprintf("%6.2f ms %6.2f ms (first %.2f ms)", c.OpenMs, c.MonthMs, c.MonthFirst)
		} else {
			q = fmt.Sprintf("%9s %9s", "", "")
		}
		extra := ""
		if i == 0 {
			extra = fmt.Sprintf("%7.3f s | %s", idle, catch)
		}
		fmt.Printf("%-7s %8d | %-10s %7.2f s %5.0f MB %5.0f MB | %s | %s\n", label, c.Events, c.Role, c.StartupS, c.HeapMB, c.RSSMB, q, extra)
	}
	fmt.Printf("%-7s (generated %d events for the relay in %.1f s; restaurant 0: %d open, %d orders in the last 30 days)\n", label, counts[0], genS, rows[1].Open, rows[1].MonthCount)
	fmt.Printf("%-7s the relay two days later: start-up %.2f s (%.2f s the first time, forgetting tombstones), heap %.0f MB, RSS %.0f MB, %d live events (%d more orders archived)\n",
		label, later.StartupS, forget.StartupS, later.HeapMB, later.RSSMB, later.Events, forget.Archived)
	for _, f := range firsts {
		fmt.Printf("%-7s first start of the %s on the generated store: %.2f s, archived %d orders, %d live events\n", label, f.Role, f.StartupS, f.Archived, f.Events)
	}
	b.ReportMetric(rows[0].StartupS, fmt.Sprintf("relay-startup-s/%dmo", m))
	return nil
}

func roleOf(nm string) string {
	if strings.HasPrefix(nm, "relay") || nm == "behind" {
		return "relay"
	}
	return nm
}

// syncFigures starts three relays in this process: two in step, and one
// missing the last missedOrders orders. It times an idle session between
// the two in step, then the catch-up of the one behind.
func syncFigures(ctx context.Context, dir string, g *Generator) (idleS float64, catchUp string, err error) {
	start := func(nm string, key ed25519.PrivateKey) (*node.Node, error) {
		return node.New(ctx, node.WithKey(key), node.WithRole(node.RoleCourier), node.WithDataDir(filepath.Join(dir, nm)), node.WithCoop(g.Coop),
			node.WithClock(Clock(g.End().Add(afterEnd))), node.WithListen("/ip4/127.0.0.1/tcp/0"), node.WithSyncInterval(-1), node.WithSyncOnConnect(false))
	}
	a, err := start("relay", g.Couriers[0])
	if err != nil {
		return 0, "", err
	}
	defer a.Close()
	ai := peer.AddrInfo{ID: a.ID(), Addrs: a.Addrs()}
	b, err := start("relay2", g.Couriers[1])
	if err != nil {
		return 0, "", err
	}
	defer b.Close()
	if err := b.Connect(ctx, ai); err != nil {
		return 0, "", err
	}
	var best float64
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		rep, err := b.Sync(ctx, a.ID())
		if err != nil {
			return 0, "", fmt.Errorf("idle sync: %w", err)
		}
		if rep.EventsIn != 0 {
			return 0, "", fmt.Errorf("idle sync moved %d events", rep.EventsIn)
		}
		if d := time.Since(t0).Seconds(); i == 0 || d < best {
			best = d
		}
	}
	c, err := start("behind", g.Couriers[2])
	if err != nil {
		return 0, "", err
	}
	defer c.Close()
	if err := c.Connect(ctx, ai); err != nil {
		return 0, "", err
	}
	rep, err := c.Sync(ctx, a.ID())
	if err != nil {
		return 0, "", fmt.Errorf("catch-up sync: %w", err)
	}
	d := rep.EventsIn
	limit := 0.0
	if d > 0 {
		s := float64(rep.EventBytes) / float64(d)
		limit = 1.1*float64(d)*s + 2048
	}
	catchUp = fmt.Sprintf("d=%d: %d trips, %d B vs %.0f B", d, rep.RoundTrips, rep.BytesIn+rep.BytesOut, limit)
	// a fresh relay, empty store, catching up from the relay: sessions
	// until one brings nothing (each bounded by the 30 s session deadline)
	fdir, err := os.MkdirTemp("", "history-fresh")
	if err != nil {
		return 0, "", err
	}
	defer os.RemoveAll(fdir)
	f, err := node.New(ctx, node.WithKey(g.Couriers[3]), node.WithRole(node.RoleRelay), node.WithDataDir(fdir),
		node.WithCoop(g.Coop), node.WithClock(Clock(g.End().Add(afterEnd))), node.WithListen("/ip4/127.0.0.1/tcp/0"),
		node.WithSyncInterval(-1), node.WithSyncOnConnect(false))
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	if err := f.Connect(ctx, ai); err != nil {
		return 0, "", err
	}
	// sessions until one ends within its bound (SPEC.md §8.6.4), each
	// bounded, none cut by the 30 s session deadline (an error); the
	// node's syncer runs sessions of the same catch-up too (after a graft,
	// or events that turned out pending), one at a time with these
	t0 := time.Now()
	var progress []string
	var longest float64
	for i := 0; i < 100; i++ {
		if st := f.Stats(ctx); st.SyncCaughtUp && st.SyncCatchUpSessions > 0 {
			break // the syncer's session ended it
		}
		s0 := time.Now()
		rep, err := f.Sync(ctx, a.ID())
		if err != nil {
			return 0, "", fmt.Errorf("fresh relay, session %d: %w", i+1, err)
		}
		d := time.Since(s0).Seconds()
		longest = max(longest, d)
		progress = append(progress, fmt.Sprintf("#%d +%d → %d in %.2f s", rep.Session, rep.EventsIn, rep.CatchUpEvents, d))
		if !rep.Cut {
			break
		}
	}
	st := f.Stats(ctx)
	catchUp += fmt.Sprintf("; fresh relay: %d events in %.2f s, %d sessions (%d cut at the bound; %d run here, longest %.2f s; the rest by its syncer), %d events received by sync, caught up %v [%s]",
		st.EventsStored, time.Since(t0).Seconds(), st.SyncSessions, st.SyncCut, len(progress), longest, st.SyncEventsIn, st.SyncCaughtUp, strings.Join(progress, "; "))
	return best, catchUp, nil
}
