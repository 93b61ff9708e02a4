package node

import (
	"bufio"
	"bytes"
	"context"
	"errors"
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
	"github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
)

// Tests of the verified markers (verified.go, issue 14 item 2).

// signedEvents returns n distinct signed events.
func signedEvents(t *testing.T, n int) []StoredEvent {
	t.Helper()
	priv := nodeKey("markers")
	out := make([]StoredEvent, n)
	for i := range out {
		e, raw, err := protocol.Seal(priv, protocol.Draft{Kind: crdt.KindCoopGenesis, Lamport: 1, Wall: 1_790_000_000_000,
			Body: &crdt.CoopGenesis{Name: fmt.Sprint("coop ", i), Admins: []crdt.PubKey{protocol.PubKeyOf(priv)}}})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = StoredEvent{ID: e.ID, Raw: raw}
	}
	return out
}

// markerState reads the store's raw keys and fails the test if any marker
// disagrees with the events: a marker without its event, or whose digest
// is not its event's bytes. It returns the events and how many are marked.
func markerState(t *testing.T, s *Store) (events map[crdt.ID][]byte, marked map[crdt.ID]bool) {
	t.Helper()
	res, err := s.ds.Query(context.Background(), query.Query{Prefix: eventPrefix})
	if err != nil {
		t.Fatal(err)
	}
	all, err := res.Rest()
	if err != nil {
		t.Fatal(err)
	}
	events, marks := map[crdt.ID][]byte{}, map[crdt.ID][]byte{}
	for _, r := range all {
		if id, ok := parseMarkerKey(r.Key); ok {
			marks[id] = r.Value
		} else if id, ok := parseEventKey(r.Key); ok {
			events[id] = r.Value
		} else {
			t.Fatalf("unexpected key %s", r.Key)
		}
	}
	marked = map[crdt.ID]bool{}
	for id, m := range marks {
		raw, ok := events[id]
		if !ok {
			t.Fatalf("marker of %s without its event", id.Short())
		}
		if !markerMatches(m, raw) {
			t.Fatalf("marker of %s does not match its bytes", id.Short())
		}
		marked[id] = true
	}
	return events, marked
}

func walked(t *testing.T, s *Store) map[crdt.ID]bool {
	t.Helper()
	got := map[crdt.ID]bool{}
	if err := s.walkEvents(context.Background(), func(id crdt.ID, _ []byte, v bool) error { got[id] = v; return nil }); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestVerifiedMarkers: PutEvents writes a marker only for Verified events;
// the walk reports it; DeleteEvent removes both; ForEachEvent sees events
// only; a marker whose digest does not match the stored bytes does not
// count.
func TestVerifiedMarkers(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) *Store{
		"memory": func(*testing.T) *Store { return OpenMemory() },
		"pebble": func(t *testing.T) *Store {
			s, err := OpenPebble(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := open(t)
			defer s.Close()
			evs := signedEvents(t, 6)
			for i := range evs {
				evs[i].Verified = i%2 == 0
			}
			must(t, s.PutEvents(ctx, evs))
			got := walked(t, s)
			if len(got) != len(evs) {
				t.Fatalf("walk saw %d events, want %d", len(got), len(evs))
			}
			for i, e := range evs {
				if got[e.ID] != (i%2 == 0) {
					t.Fatalf("event %d: verified %v, want %v", i, got[e.ID], i%2 == 0)
				}
			}
			n := 0
			must(t, s.ForEachEvent(ctx, func(id crdt.ID, raw []byte) error { n++; return nil }))
			if n != len(evs) {
				t.Fatalf("ForEachEvent saw %d, want %d", n, len(evs))
			}
			must(t, s.DeleteEvent(ctx, evs[0].ID))
			events, marked := markerState(t, s)
			if _, ok := events[evs[0].ID]; ok || marked[evs[0].ID] {
				t.Fatal("deleted event or its marker still stored")
			}
			// the bytes change under a marker (a signature altered on disk)
			tampered := bytes.Clone(evs[2].Raw)
			tampered[len(tampered)-1] ^= 1
			must(t, s.PutEvent(ctx, evs[2].ID, tampered))
			if walked(t, s)[evs[2].ID] {
				t.Fatal("a marker vouches for bytes it was not written for")
			}
		})
	}
}

// TestLoadStoredMarks: replay verifies unmarked events and marks those
// that pass (not the bad ones), trusts marked ones without checking their
// signatures, and verifies again an event whose bytes no longer match
// its marker.
func TestLoadStoredMarks(t *testing.T) {
	ctx := context.Background()
	s := OpenMemory()
	defer s.Close()
	evs := signedEvents(t, replayChunk+20)
	for _, e := range evs[:len(evs)-2] {
		must(t, s.PutEvent(ctx, e.ID, e.Raw)) // written before markers existed
	}
	badSig := bytes.Clone(evs[len(evs)-2].Raw)
	badSig[len(badSig)-1] ^= 1
	must(t, s.PutEvent(ctx, evs[len(evs)-2].ID, badSig))
	loaded, bad, err := loadStored(ctx, s)
	must(t, err)
	if bad != 1 || len(loaded) != len(evs)-2 {
		t.Fatalf("first replay: %d loaded, %d bad; want %d and 1", len(loaded), bad, len(evs)-2)
	}
	_, marked := markerState(t, s)
	if len(marked) != len(evs)-2 || marked[evs[len(evs)-2].ID] {
		t.Fatalf("after the first replay %d events marked, want %d (not the bad one)", len(marked), len(evs)-2)
	}
	loaded, bad, err = loadStored(ctx, s)
	must(t, err)
	if bad != 1 || len(loaded) != len(evs)-2 {
		t.Fatalf("second replay: %d loaded, %d bad", len(loaded), bad)
	}
	// trusted: a marker written with bytes whose signature is broken (as
	// only this node's own write path could) is believed, which shows the
	// marked path does not verify
	forged := bytes.Clone(evs[len(evs)-1].Raw)
	forged[len(forged)-1] ^= 1
	must(t, s.PutEvents(ctx, []StoredEvent{{ID: evs[len(evs)-1].ID, Raw: forged, Verified: true}}))
	loaded, _, err = loadStored(ctx, s)
	must(t, err)
	if len(loaded) != len(evs)-1 {
		t.Fatalf("marked event not trusted: %d loaded, want %d", len(loaded), len(evs)-1)
	}
	// its bytes altered after marking: verified again, and refused
	must(t, s.PutEvent(ctx, evs[0].ID, append(bytes.Clone(evs[0].Raw[:len(evs[0].Raw)-1]), evs[0].Raw[len(evs[0].Raw)-1]^1)))
	loaded, bad, err = loadStored(ctx, s)
	must(t, err)
	if bad != 2 || len(loaded) != len(evs)-2 {
		t.Fatalf("altered event: %d loaded, %d bad; want %d and 2", len(loaded), bad, len(evs)-2)
	}
}

// tornDS is a datastore whose batches are not atomic: each operation is
// applied at once, and after budget operations the rest fail — the worst
// a store could do to a batch cut by a crash.
type tornDS struct {
	datastore.Batching
	budget int
}

var errTorn = errors.New("torn batch")

func (d *tornDS) Batch(context.Context) (datastore.Batch, error) { return &tornBatch{d}, nil }

type tornBatch struct{ d *tornDS }

func (b *tornBatch) spend() error {
	if b.d.budget <= 0 {
		return errTorn
	}
	b.d.budget--
	return nil
}

func (b *tornBatch) Put(ctx context.Context, k datastore.Key, v []byte) error {
	if err := b.spend(); err != nil {
		return err
	}
	return b.d.Batching.Put(ctx, k, v)
}

func (b *tornBatch) Delete(ctx context.Context, k datastore.Key) error {
	if err := b.spend(); err != nil {
		return err
	}
	return b.d.Batching.Delete(ctx, k)
}

func (b *tornBatch) Commit(context.Context) error { return nil }

// TestVerifiedMarkersTornBatch: a write or a delete cut after any number
// of its operations never leaves a marker that disagrees with the events;
// an event left without its marker is verified again by replay, and
// marked then.
func TestVerifiedMarkersTornBatch(t *testing.T) {
	ctx := context.Background()
	evs := signedEvents(t, 4)
	for i := range evs {
		evs[i].Verified = true
	}
	for cut := 0; cut <= 2*len(evs); cut++ {
		d := &tornDS{Batching: dssync.MutexWrap(datastore.NewMapDatastore()), budget: cut}
		s := &Store{ds: d, copyValues: true}
		err := s.PutEvents(ctx, evs)
		if (err != nil) != (cut < 2*len(evs)) {
			t.Fatalf("cut after %d: PutEvents said %v", cut, err)
		}
		events, marked := markerState(t, s)
		if len(events) != (cut+1)/2 || len(marked) != cut/2 {
			t.Fatalf("cut after %d: %d events, %d marked", cut, len(events), len(marked))
		}
		d.budget = 1 << 20
		loaded, bad, err := loadStored(ctx, s)
		must(t, err)
		if bad != 0 || len(loaded) != len(events) {
			t.Fatalf("cut after %d: replay loaded %d, %d bad; want %d", cut, len(loaded), bad, len(events))
		}
		if _, marked = markerState(t, s); len(marked) != len(events) {
			t.Fatalf("cut after %d: replay left %d of %d events unmarked", cut, len(events)-len(marked), len(events))
		}
		// a delete cut after its first operation (the marker)
		if len(events) > 0 {
			d.budget = 1
			if err := s.DeleteEvent(ctx, evs[0].ID); err == nil {
				t.Fatalf("cut after %d: torn delete succeeded", cut)
			}
			events2, marked2 := markerState(t, s)
			if _, ok := events2[evs[0].ID]; !ok || marked2[evs[0].ID] {
				t.Fatalf("cut after %d: torn delete left event %v, marker %v", cut, ok, marked2[evs[0].ID])
			}
		}
	}
}

// markerCrashEnv tells the test binary it is the child of
// TestVerifiedMarkersCrash.
const markerCrashEnv = "COOPNODE_MARKER_CRASH_DIR"

// TestVerifiedMarkersCrash: a child process writes batches of verified
// events to pebble and is killed with SIGKILL mid-stream; on reopening,
// every marker has its event with the bytes it was written for, every
// acknowledged event is stored and marked, and replay loads them all.
func TestVerifiedMarkersCrash(t *testing.T) {
	if dir := os.Getenv(markerCrashEnv); dir != "" {
		markerCrashChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestVerifiedMarkersCrash$", "-test.count=1")
	cmd.Env = append(os.Environ(), markerCrashEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	must(t, err)
	must(t, cmd.Start())
	const killAfter = 40 // batches
	acked, killed := -1, false
	watchdog := time.AfterFunc(60*time.Second, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		v, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(v)
		if err != nil || i != acked+1 {
			t.Fatalf("child printed %q after acked %d", sc.Text(), acked)
		}
		acked = i
		if acked == killAfter && !killed {
			must(t, cmd.Process.Kill()) // the child we started, by PID
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d batches without being killed", acked+1)
	}
	s, err := OpenPebble(dir)
	must(t, err)
	defer s.Close()
	events, marked := markerState(t, s)
	evs := markerCrashEvents(t)
	for i := 0; i < (acked+1)*markerCrashBatch; i++ {
		if _, ok := events[evs[i].ID]; !ok || !marked[evs[i].ID] {
			t.Fatalf("acknowledged event %d: stored %v, marked %v", i, ok, marked[evs[i].ID])
		}
	}
	loaded, bad, err := loadStored(context.Background(), s)
	must(t, err)
	if bad != 0 || len(loaded) != len(events) {
		t.Fatalf("replay after the crash: %d loaded, %d bad, %d stored", len(loaded), bad, len(events))
	}
	t.Logf("killed after %d acknowledged batches; %d events stored, %d marked", acked+1, len(events), len(marked))
}

const markerCrashBatch = 8

func markerCrashEvents(t *testing.T) []StoredEvent {
	evs := signedEvents(t, 200*markerCrashBatch)
	for i := range evs {
		evs[i].Verified = true
	}
	return evs
}

func markerCrashChild(t *testing.T, dir string) {
	evs := markerCrashEvents(t)
	s, err := OpenPebble(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	for b := 0; b*markerCrashBatch < len(evs); b++ {
		if err := s.PutEvents(ctx, evs[b*markerCrashBatch:(b+1)*markerCrashBatch]); err != nil {
			fmt.Fprintln(os.Stderr, "child: put:", err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stdout, "acked %d\n", b)
	}
	os.Exit(3) // not reached when the parent kills us in time
}
