package node

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/protocol"
	"github.com/ipfs/go-datastore"
	dssync "github.com/ipfs/go-datastore/sync"
)

// Crash safety of archival (archive.go, cold.go): a batch cut after any of
// its writes, or a process killed with SIGKILL between batches, never
// leaves state that disagrees with the events: every order reads as it did
// before, live or from the cold store, and the next archival step finishes
// the job.

func flatOps(fx archiveFx) []storeOp {
	var ops []storeOp
	for _, g := range fx.groups {
		ops = append(ops, g.ops...)
	}
	return ops
}

func storedEvents(w *archWorld, orders ...archOrder) []StoredEvent {
	var out []StoredEvent
	add := func(raw []byte) {
		id, err := protocol.ID(raw)
		must(w.t, err)
		out = append(out, StoredEvent{ID: id, Raw: raw, Verified: true})
	}
	for _, raw := range w.base {
		add(raw)
	}
	for _, o := range orders {
		for _, raw := range o.raws {
			add(raw)
		}
	}
	return out
}

// checkArchiveState fails unless every order reads want's state and the
// store holds each order either live (all events, no tombstone) or
// archived (cold copy and tombstone, no live event).
func checkArchiveState(t *testing.T, what string, n *Node, want map[crdt.ID][32]byte, orders []archOrder) (archived int) {
	t.Helper()
	ctx := context.Background()
	for _, o := range orders {
		s, err := n.Order(ctx, o.id)
		if err != nil || s.Hash() != want[o.id] {
			t.Fatalf("%s: order %s reads %v, not its state before", what, o.id.Short(), err)
		}
		live, cold, tomb, _ := onDisk(t, n, o)
		switch {
		case tomb && cold && live == 0:
			archived++
		case !tomb && live == len(o.ids):
		default:
			t.Fatalf("%s: order %s: %d live events, cold %v, tombstone %v", what, o.id.Short(), live, cold, tomb)
		}
	}
	return archived
}

// TestArchiveTornBatch: the archival batch of an order cut after any
// number of its writes; the node started on the store reads the order as
// before (live, or archived when the tombstone made it), deletes live
// copies a cut left behind, and its next archival step finishes the job.
func TestArchiveTornBatch(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx := context.Background()
	clk := newFakeClock()
	w := newArchWorld(t, clk.Now().UnixMilli())
	o := w.order()
	ref := archNode(t, clk, "resto", RoleRestaurant, w, nil, o)
	st, err := ref.Order(ctx, o.id)
	must(t, err)
	want := map[crdt.ID][32]byte{o.id: st.Hash()}
	at := pastHorizon(o.last(w))
	var fx archiveFx
	must(t, ref.do(ctx, func() error { fx, err = ref.planArchive(ctx, at); return err }))
	ops := flatOps(fx)
	if len(ops) < 10 {
		t.Fatalf("%d archival writes", len(ops))
	}
	must(t, ref.Close())
	for cut := 0; cut <= len(ops); cut++ {
		d := &tornDS{Batching: dssync.MutexWrap(datastore.NewMapDatastore()), budget: 1 << 20}
		s := &Store{ds: d, copyValues: true}
		must(t, s.PutEvents(ctx, storedEvents(w, o)))
		d.budget = cut
		if err := s.apply(ctx, ops); (err != nil) != (cut < len(ops)) {
			t.Fatalf("cut after %d: %v", cut, err)
		}
		d.budget = 1 << 20
		// a node started before the horizon: replay alone
		nclk := &fakeClock{now: time.UnixMilli(w.w0 + 60_000), changed: make(chan struct{})}
		n := archNode(t, nclk, "resto", RoleRestaurant, w, s)
		archived := checkArchiveState(t, fmt.Sprintf("cut after %d, replayed", cut), n, want, []archOrder{o})
		if tombWritten := cut > len(ops)-2*len(o.ids)-1; (archived == 1) != tombWritten {
			t.Fatalf("cut after %d: archived %d, tombstone written %v", cut, archived, tombWritten)
		}
		archiveAt(t, n, nclk, at)
		if checkArchiveState(t, fmt.Sprintf("cut after %d, archived again", cut), n, want, []archOrder{o}) != 1 {
			t.Fatalf("cut after %d: the next archival step did not archive the order", cut)
		}
		must(t, n.Close())
	}
}

// archiveCrashEnv tells the test binary it is the child of
// TestArchiveCrash: "dir|w0".
const archiveCrashEnv = "COOPNODE_ARCHIVE_CRASH"

const archiveCrashOrders = 60

func archiveCrashWorld(t *testing.T, w0 int64) (*archWorld, []archOrder) {
	w := newArchWorld(t, w0)
	orders := make([]archOrder, archiveCrashOrders)
	for i := range orders {
		orders[i] = w.order()
	}
	return w, orders
}

// TestArchiveCrash: a child process stores orders in pebble and archives
// them one batch at a time, and is killed with SIGKILL mid-way; a node
// started on the store reads every order as before, each live or archived,
// never both or neither, and archives the rest on its next step.
func TestArchiveCrash(t *testing.T) {
	if spec := os.Getenv(archiveCrashEnv); spec != "" {
		archiveCrashChild(t, spec)
		return
	}
	t.Cleanup(leakCheck(t))
	dir := t.TempDir()
	clk := newFakeClock()
	w, orders := archiveCrashWorld(t, clk.Now().UnixMilli())
	cmd := exec.Command(os.Args[0], "-test.run=^TestArchiveCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s|%d", archiveCrashEnv, dir, w.w0))
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	const killAfter = 20
	acked, killed := -1, false
	watchdog := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "archived ")
		if !ok {
			continue
		}
		if i, err := strconv.Atoi(v); err != nil || i != acked+1 {
			t.Fatalf("child printed %q after %d", sc.Text(), acked)
		}
		acked++
		if acked == killAfter && !killed {
			must(t, cmd.Process.Kill()) // the child we started, by PID
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d orders without being killed", acked+1)
	}
	// the states the orders had, folded by a node that archives nothing
	ref := archNode(t, clk, "resto", RoleRestaurant, w, nil, orders...)
	want := map[crdt.ID][32]byte{}
	for _, o := range orders {
		s, err := ref.Order(context.Background(), o.id)
		must(t, err)
		want[o.id] = s.Hash()
	}
	s, err := OpenPebble(dir)
	must(t, err)
	n := archNode(t, clk, "resto", RoleRestaurant, w, s)
	archived := checkArchiveState(t, "after SIGKILL", n, want, orders)
	if archived < acked+1 {
		t.Fatalf("%d orders archived on disk, %d acknowledged", archived, acked+1)
	}
	archiveAt(t, n, clk, pastHorizon(orders[0].last(w)))
	if got := checkArchiveState(t, "archived again", n, want, orders); got != len(orders) {
		t.Fatalf("%d of %d orders archived after the next step", got, len(orders))
	}
	t.Logf("killed after %d acknowledged archival batches; %d archived on disk", acked+1, archived)
}

func archiveCrashChild(t *testing.T, spec string) {
	dir, w0s, _ := strings.Cut(spec, "|")
	w0, err := strconv.ParseInt(w0s, 10, 64)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		os.Exit(2)
	}
	w, orders := archiveCrashWorld(t, w0)
	s, err := OpenPebble(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	if err := s.PutEvents(ctx, storedEvents(w, orders...)); err != nil {
		fmt.Fprintln(os.Stderr, "child: put:", err)
		os.Exit(2)
	}
	for i, o := range orders {
		tb := tomb{order: o.id, until: w0 + 2*crdt.RetentionMs, last: o.last(w), kept: true, events: o.ids}
		if err := s.apply(ctx, archiveOps(tb, o.raws, crdt.StatusCancelled, []crdt.PubKey{w.pub("cust"), w.pub("resto")}, nil)); err != nil {
			fmt.Fprintln(os.Stderr, "child: archive:", err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stdout, "archived %d\n", i)
	}
	os.Exit(3) // not reached when the parent kills us in time
}
