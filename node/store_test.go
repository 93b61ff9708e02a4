package node

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/ipfs/go-datastore"
)

func testID(i int) crdt.ID { return crdt.ID(sha256.Sum256([]byte("event " + strconv.Itoa(i)))) }

func testRaw(i int) []byte { return []byte(fmt.Sprintf("raw wire bytes of event %d", i)) }

func TestStoreMemory(t *testing.T) {
	testStoreConformance(t, func(t *testing.T) (*Store, func() *Store) {
		return OpenMemory(), nil
	})
}

func TestStorePebble(t *testing.T) {
	testStoreConformance(t, func(t *testing.T) (*Store, func() *Store) {
		dir := t.TempDir()
		open := func() *Store {
			s, err := OpenPebble(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
		return open(), open
	})
}

// testStoreConformance runs the Store contract against a backend. open
// returns a fresh store and, for persistent backends, a function that
// reopens the same data once the store is closed.
func testStoreConformance(t *testing.T, open func(t *testing.T) (*Store, func() *Store)) {
	ctx := context.Background()

	t.Run("PutGetHasDelete", func(t *testing.T) {
		s, _ := open(t)
		defer s.Close()
		id := testID(1)
		if ok, err := s.HasEvent(ctx, id); err != nil || ok {
			t.Fatalf("HasEvent on empty store = %v, %v", ok, err)
		}
		_, err := s.GetEvent(ctx, id)
		if !errors.Is(err, ErrNotFound) || !errors.Is(err, datastore.ErrNotFound) {
			t.Fatalf("GetEvent missing: %v", err)
		}
		raw := testRaw(1)
		if err := s.PutEvent(ctx, id, raw); err != nil {
			t.Fatal(err)
		}
		raw[0] = 'X' // the store must not alias the caller's slice
		got, err := s.GetEvent(ctx, id)
		if err != nil || !bytes.Equal(got, testRaw(1)) {
			t.Fatalf("GetEvent = %q, %v", got, err)
		}
		got[0] = 'Y' // nor hand out its own
		if again, _ := s.GetEvent(ctx, id); !bytes.Equal(again, testRaw(1)) {
			t.Fatalf("stored value changed through a returned slice: %q", again)
		}
		if ok, err := s.HasEvent(ctx, id); err != nil || !ok {
			t.Fatalf("HasEvent = %v, %v", ok, err)
		}
		if err := s.PutEvent(ctx, id, testRaw(1)); err != nil { // idempotent
			t.Fatal(err)
		}
		if err := s.DeleteEvent(ctx, id); err != nil {
			t.Fatal(err)
		}
		if ok, _ := s.HasEvent(ctx, id); ok {
			t.Fatal("deleted event still there")
		}
		if err := s.DeleteEvent(ctx, id); err != nil {
			t.Fatalf("deleting a missing event: %v", err)
		}
		if err := s.PutEvent(ctx, testID(2), nil); err != nil {
			t.Fatalf("empty value: %v", err)
		}
		if got, err := s.GetEvent(ctx, testID(2)); err != nil || len(got) != 0 {
			t.Fatalf("empty value = %q, %v", got, err)
		}
	})

	t.Run("Iterate", func(t *testing.T) {
		s, _ := open(t)
		defer s.Close()
		const n = 50
		want := map[crdt.ID][]byte{}
		for i := range n {
			want[testID(i)] = testRaw(i)
			if err := s.PutEvent(ctx, testID(i), testRaw(i)); err != nil {
				t.Fatal(err)
			}
		}
		// Metadata must not show up as events.
		if err := s.PutMeta(ctx, "coop", []byte("x")); err != nil {
			t.Fatal(err)
		}
		var prev crdt.ID
		seen := 0
		err := s.ForEachEvent(ctx, func(id crdt.ID, raw []byte) error {
			if seen > 0 && prev.Compare(id) >= 0 {
				t.Errorf("not in ascending order: %s after %s", id.Short(), prev.Short())
			}
			prev = id
			seen++
			if !bytes.Equal(raw, want[id]) {
				t.Errorf("%s: %q, want %q", id.Short(), raw, want[id])
			}
			return nil
		})
		if err != nil || seen != n {
			t.Fatalf("ForEachEvent visited %d, err %v", seen, err)
		}
		// An error from fn stops the walk and comes back as is.
		stop := errors.New("stop")
		calls := 0
		err = s.ForEachEvent(ctx, func(crdt.ID, []byte) error { calls++; return stop })
		if err != stop || calls != 1 {
			t.Fatalf("fn error: %v after %d calls", err, calls)
		}
		// fn may write to the store.
		err = s.ForEachEvent(ctx, func(id crdt.ID, _ []byte) error { return s.DeleteEvent(ctx, id) })
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		_ = s.ForEachEvent(ctx, func(crdt.ID, []byte) error { count++; return nil })
		if count != 0 {
			t.Fatalf("%d events left after deleting all", count)
		}
		// A cancelled context ends the walk.
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		_ = s.PutEvent(ctx, testID(1), testRaw(1))
		if err := s.ForEachEvent(cctx, func(crdt.ID, []byte) error { return nil }); !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled walk: %v", err)
		}
	})

	t.Run("Batch", func(t *testing.T) {
		s, _ := open(t)
		defer s.Close()
		var evs []StoredEvent
		for i := range 20 {
			evs = append(evs, StoredEvent{ID: testID(i), Raw: testRaw(i)})
		}
		if err := s.PutEvents(ctx, evs); err != nil {
			t.Fatal(err)
		}
		for i := range 20 {
			if got, err := s.GetEvent(ctx, testID(i)); err != nil || !bytes.Equal(got, testRaw(i)) {
				t.Fatalf("event %d: %q, %v", i, got, err)
			}
		}
		if err := s.PutEvents(ctx, nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Meta", func(t *testing.T) {
		s, _ := open(t)
		defer s.Close()
		if _, err := s.GetMeta(ctx, "coop"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing meta: %v", err)
		}
		if err := s.PutMeta(ctx, "coop", []byte("abc")); err != nil {
			t.Fatal(err)
		}
		if err := s.PutMeta(ctx, "sync.cursor-1_x", []byte("1")); err != nil {
			t.Fatal(err)
		}
		if got, err := s.GetMeta(ctx, "coop"); err != nil || string(got) != "abc" {
			t.Fatalf("GetMeta = %q, %v", got, err)
		}
		for _, bad := range []string{"", "Coop", "a/b", "../e", "with space", strings.Repeat("a", 65), "é"} {
			if err := s.PutMeta(ctx, bad, nil); !errors.Is(err, ErrBadMetaName) {
				t.Errorf("PutMeta(%q): %v", bad, err)
			}
			if _, err := s.GetMeta(ctx, bad); !errors.Is(err, ErrBadMetaName) {
				t.Errorf("GetMeta(%q): %v", bad, err)
			}
		}
		// Metadata and events live apart.
		count := 0
		_ = s.ForEachEvent(ctx, func(crdt.ID, []byte) error { count++; return nil })
		if count != 0 {
			t.Fatalf("meta seen as %d events", count)
		}
	})

	t.Run("Closed", func(t *testing.T) {
		s, _ := open(t)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("second close: %v", err)
		}
		id := testID(1)
		checks := map[string]error{
			"PutEvent":    s.PutEvent(ctx, id, nil),
			"PutEvents":   s.PutEvents(ctx, []StoredEvent{{ID: id}}),
			"DeleteEvent": s.DeleteEvent(ctx, id),
			"PutMeta":     s.PutMeta(ctx, "x", nil),
			"ForEach":     s.ForEachEvent(ctx, func(crdt.ID, []byte) error { return nil }),
		}
		_, checks["GetEvent"] = s.GetEvent(ctx, id)
		_, checks["HasEvent"] = s.HasEvent(ctx, id)
		_, checks["GetMeta"] = s.GetMeta(ctx, "x")
		for name, err := range checks {
			if !errors.Is(err, ErrClosed) {
				t.Errorf("%s after close: %v", name, err)
			}
		}
	})

	t.Run("Reopen", func(t *testing.T) {
		s, reopen := open(t)
		if reopen == nil {
			s.Close()
			t.Skip("not persistent")
		}
		for i := range 10 {
			if err := s.PutEvent(ctx, testID(i), testRaw(i)); err != nil {
				t.Fatal(err)
			}
		}
		_ = s.DeleteEvent(ctx, testID(3))
		if err := s.PutMeta(ctx, "coop", []byte("c")); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = reopen()
		defer s.Close()
		for i := range 10 {
			got, err := s.GetEvent(ctx, testID(i))
			if i == 3 {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("deleted event after reopen: %v", err)
				}
				continue
			}
			if err != nil || !bytes.Equal(got, testRaw(i)) {
				t.Fatalf("event %d after reopen: %q, %v", i, got, err)
			}
		}
		if got, err := s.GetMeta(ctx, "coop"); err != nil || string(got) != "c" {
			t.Fatalf("meta after reopen: %q, %v", got, err)
		}
	})

	t.Run("Concurrent", func(t *testing.T) {
		s, _ := open(t)
		const writers, each = 8, 25
		var wg sync.WaitGroup
		errs := make(chan error, writers*each*2)
		for w := range writers {
			wg.Add(2)
			go func() {
				defer wg.Done()
				for i := range each {
					n := w*each + i
					if err := s.PutEvent(ctx, testID(n), testRaw(n)); err != nil {
						errs <- err
					}
					if _, err := s.GetEvent(ctx, testID(n)); err != nil {
						errs <- err
					}
				}
			}()
			go func() {
				defer wg.Done()
				for range 5 {
					if err := s.ForEachEvent(ctx, func(crdt.ID, []byte) error { return nil }); err != nil {
						errs <- err
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		count := 0
		_ = s.ForEachEvent(ctx, func(crdt.ID, []byte) error { count++; return nil })
		if count != writers*each {
			t.Fatalf("%d events, want %d", count, writers*each)
		}
		// Close racing with a walk and writers: no panic, and every call
		// either succeeds or reports ErrClosed.
		var wg2 sync.WaitGroup
		wg2.Add(2)
		go func() {
			defer wg2.Done()
			err := s.ForEachEvent(ctx, func(crdt.ID, []byte) error { return nil })
			if err != nil && !errors.Is(err, ErrClosed) {
				t.Errorf("walk racing close: %v", err)
			}
		}()
		go func() {
			defer wg2.Done()
			for i := range 50 {
				if err := s.PutEvent(ctx, testID(1000+i), nil); err != nil && !errors.Is(err, ErrClosed) {
					t.Errorf("put racing close: %v", err)
				}
			}
		}()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		wg2.Wait()
	})
}

func TestStorePebbleOpenErrors(t *testing.T) {
	dir := t.TempDir()
	s, err := OpenPebble(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// pebble locks its directory: a second open must fail, not corrupt.
	if s2, err := OpenPebble(dir); err == nil {
		s2.Close()
		t.Fatal("opened a locked store twice")
	}
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenPebble(file); err == nil {
		t.Fatal("opened a regular file as a store")
	}
}

// crashDirEnv tells the test binary it is the child of
// TestStorePebbleCrashDurability.
const crashDirEnv = "COOPNODE_STORE_CRASH_DIR"

// TestStorePebbleCrashDurability checks that PutEvent's "durable" holds
// against a hard crash: a child process writes events, printing "acked n"
// after each PutEvent returns, and is SIGKILLed mid-stream; every event it
// acknowledged must be in the store when the parent reopens it.
func TestStorePebbleCrashDurability(t *testing.T) {
	if dir := os.Getenv(crashDirEnv); dir != "" {
		crashChild(dir)
		return
	}
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestStorePebbleCrashDurability$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDirEnv+"="+dir)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	const killAfter = 300
	acked := -1
	killed := false
	// Kill the child if it stalls, so the scan below ends.
	watchdog := time.AfterFunc(20*time.Second, func() { _ = cmd.Process.Kill() })
	defer watchdog.Stop()
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		n, ok := strings.CutPrefix(sc.Text(), "acked ")
		if !ok {
			continue
		}
		i, err := strconv.Atoi(n)
		if err != nil || i != acked+1 {
			t.Fatalf("child printed %q after acked %d", sc.Text(), acked)
		}
		acked = i
		if acked == killAfter && !killed {
			// SIGKILL to the child we started, by its PID; lines already
			// in the pipe are still read below.
			if err := cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			killed = true
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child stopped after %d acks without being killed", acked+1)
	}
	s, err := OpenPebble(dir)
	if err != nil {
		t.Fatalf("reopen after crash: %v", err)
	}
	defer s.Close()
	ctx := context.Background()
	for i := 0; i <= acked; i++ {
		got, err := s.GetEvent(ctx, testID(i))
		if err != nil || !bytes.Equal(got, testRaw(i)) {
			t.Fatalf("acked event %d of %d lost after crash: %q, %v", i, acked+1, got, err)
		}
	}
	t.Logf("all %d acknowledged events survived SIGKILL", acked+1)
}

// crashChild writes events until killed, acknowledging each on stdout.
func crashChild(dir string) {
	s, err := OpenPebble(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child: open:", err)
		os.Exit(2)
	}
	ctx := context.Background()
	for i := range 100_000 {
		if err := s.PutEvent(ctx, testID(i), testRaw(i)); err != nil {
			fmt.Fprintln(os.Stderr, "child: put:", err)
			os.Exit(2)
		}
		fmt.Fprintf(os.Stdout, "acked %d\n", i)
	}
	os.Exit(3) // not reached when the parent kills us in time
}
