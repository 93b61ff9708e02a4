package node

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	"github.com/cockroachdb/pebble/v2"
	"github.com/coopnode/coopnode/crdt"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	dssync "github.com/ipfs/go-datastore/sync"
	pebbleds "github.com/ipfs/go-ds-pebble"
)

// Store errors.
var (
	// ErrNotFound is returned for a missing event or metadata entry. It
	// wraps datastore.ErrNotFound, so either sentinel matches.
	ErrNotFound = fmt.Errorf("node: store: %w", datastore.ErrNotFound)
	// ErrBadMetaName is returned for a metadata name that is empty, longer
	// than 64 bytes, or not made of [a-z0-9._-].
	ErrBadMetaName = errors.New("node: bad metadata name")
)

// Key layout. Events live under /e/<64 lowercase hex of the ID> holding
// the event's raw wire bytes, so the store never depends on a decoder
// version; small node metadata (our coop, keys' public halves, sync
// cursors) lives under /m/<name>.
const (
	eventPrefix = "/e"
	metaPrefix  = "/m"
	proofPrefix = "/p" // delivery proofs' images, by SHA-256 (proofs.go)
)

// Store persists raw events and metadata over a go-datastore. Every write
// returns only once it is durable (see OpenPebble). It is safe for
// concurrent use.
type Store struct {
	mu     sync.RWMutex // write-locked only by Close
	closed bool
	ds     datastore.Batching
	// copyValues is set for the in-memory datastore, which keeps and
	// returns the caller's slices; pebble copies by itself.
	copyValues bool
}

// StoredEvent is one event as PutEvents takes it.
type StoredEvent struct {
	ID  crdt.ID
	Raw []byte
	// Verified says the caller checked Raw's signature: PutEvents then
	// writes a verified marker with the event, in the same batch, and
	// replay trusts the bytes instead of checking them again (verified.go).
	Verified bool
}

// StoreOption configures OpenPebble.
type StoreOption func(*storeOptions)

type storeOptions struct {
	log *slog.Logger
}

// WithStoreLogger sends pebble's own log lines to l (Info as Debug,
// errors as Error) instead of the go-log global logger.
func WithStoreLogger(l *slog.Logger) StoreOption {
	return func(o *storeOptions) { o.log = l }
}

// OpenPebble opens (creating if needed) a pebble store in dir.
//
// Durability: go-ds-pebble writes with pebble.NoSync unless told
// otherwise, and pebble's WAL writer then acknowledges a write once it is
// in the writer's memory buffer, before it is even handed to the kernel,
// so a crash of the process (not only of the machine) can lose
// acknowledged writes. Its Datastore.Sync only forces the WAL (it writes
// an empty LogData record with pebble.Sync). We open with
// WithPebbleWriteOptions(pebble.Sync) instead, so every Put, Delete and
// batch Commit returns after the WAL has been fsynced; pebble's commit
// pipeline groups concurrent syncs into one fsync, so concurrent writers
// share the cost. Use PutEvents to write many events with one fsync.
func OpenPebble(dir string, opts ...StoreOption) (*Store, error) {
	var o storeOptions
	for _, f := range opts {
		f(&o)
	}
	pOpts := &pebble.Options{}
	if o.log != nil {
		pOpts.Logger = pebbleLogger{o.log}
	}
	d, err := pebbleds.NewDatastore(dir,
		pebbleds.WithPebbleOpts(pOpts),
		pebbleds.WithPebbleWriteOptions(pebble.Sync))
	if err != nil {
		return nil, fmt.Errorf("node: open store %s: %w", dir, err)
	}
	return &Store{ds: d}, nil
}

// OpenMemory returns a store that lives in memory only, for tests and
// throwaway nodes.
func OpenMemory() *Store {
	return &Store{ds: dssync.MutexWrap(datastore.NewMapDatastore()), copyValues: true}
}

func eventKey(id crdt.ID) datastore.Key {
	return datastore.RawKey(eventPrefix + "/" + hex.EncodeToString(id[:]))
}

func metaKey(name string) (datastore.Key, error) {
	if len(name) == 0 || len(name) > 64 {
		return datastore.Key{}, fmt.Errorf("%w: %q", ErrBadMetaName, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return datastore.Key{}, fmt.Errorf("%w: %q", ErrBadMetaName, name)
		}
	}
	return datastore.RawKey(metaPrefix + "/" + name), nil
}

// acquire read-locks the store for one operation; it fails once closed.
func (s *Store) acquire() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

func (s *Store) own(b []byte) []byte {
	if s.copyValues {
		return bytes.Clone(b)
	}
	return b
}

func (s *Store) get(ctx context.Context, k datastore.Key) ([]byte, error) {
	if err := s.acquire(); err != nil {
		return nil, err
	}
	defer s.mu.RUnlock()
	v, err := s.ds.Get(ctx, k)
	if errors.Is(err, datastore.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, k)
	}
	if err != nil {
		return nil, fmt.Errorf("node: store get %s: %w", k, err)
	}
	return s.own(v), nil
}

func (s *Store) put(ctx context.Context, k datastore.Key, v []byte) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	if err := s.ds.Put(ctx, k, s.own(v)); err != nil {
		return fmt.Errorf("node: store put %s: %w", k, err)
	}
	return nil
}

// PutEvent stores an event's raw bytes under its ID and returns once the
// write is durable. Storing an ID again overwrites it (events are
// immutable, so the bytes are the same).
func (s *Store) PutEvent(ctx context.Context, id crdt.ID, raw []byte) error {
	return s.put(ctx, eventKey(id), raw)
}

// PutEvents stores several events in one batch with a single fsync: sync
// sessions land hundreds of events at once, and one fsync per event would
// dominate on a phone's flash.
func (s *Store) PutEvents(ctx context.Context, evs []StoredEvent) error {
	return s.inBatch(ctx, func(b datastore.Batch) error {
		for _, e := range evs {
			if err := b.Put(ctx, eventKey(e.ID), s.own(e.Raw)); err != nil {
				return fmt.Errorf("node: store batch put %s: %w", e.ID.Short(), err)
			}
			// after the event: a store that tore the batch would leave an
			// event without its marker (verified again), never the reverse
			if e.Verified {
				if err := b.Put(ctx, markerKey(e.ID), markerOf(e.Raw)); err != nil {
					return fmt.Errorf("node: store batch put marker %s: %w", e.ID.Short(), err)
				}
			}
		}
		return nil
	})
}

// inBatch runs fill on one batch under the store's read lock and commits
// it (one fsync) unless fill fails: the write path of PutEvents and
// PutMarkers.
func (s *Store) inBatch(ctx context.Context, fill func(datastore.Batch) error) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("node: store batch: %w", err)
	}
	if err := fill(b); err != nil {
		return err
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("node: store batch commit: %w", err)
	}
	return nil
}

// HasEvent reports whether the event is stored.
func (s *Store) HasEvent(ctx context.Context, id crdt.ID) (bool, error) {
	if err := s.acquire(); err != nil {
		return false, err
	}
	defer s.mu.RUnlock()
	ok, err := s.ds.Has(ctx, eventKey(id))
	if err != nil {
		return false, fmt.Errorf("node: store has %s: %w", id.Short(), err)
	}
	return ok, nil
}

// GetEvent returns the event's raw bytes, or an error matching ErrNotFound.
func (s *Store) GetEvent(ctx context.Context, id crdt.ID) ([]byte, error) {
	return s.get(ctx, eventKey(id))
}

// DeleteEvent removes an event and its verified marker in one batch;
// deleting a missing event is not an error.
func (s *Store) DeleteEvent(ctx context.Context, id crdt.ID) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	b, err := s.ds.Batch(ctx)
	if err != nil {
		return fmt.Errorf("node: store batch: %w", err)
	}
	// the marker first: a torn batch leaves an unmarked event, never a
	// marker without its event
	if err := b.Delete(ctx, markerKey(id)); err != nil {
		return fmt.Errorf("node: store delete marker %s: %w", id.Short(), err)
	}
	if err := b.Delete(ctx, eventKey(id)); err != nil {
		return fmt.Errorf("node: store delete %s: %w", id.Short(), err)
	}
	if err := b.Commit(ctx); err != nil {
		return fmt.Errorf("node: store delete %s: %w", id.Short(), err)
	}
	return nil
}

// ForEachEvent calls fn for every stored event in ascending ID order. fn
// may use the store (even write to it); writes made during the walk may or
// may not be visited. An error from fn stops the walk and is returned
// unwrapped. Keys under /e/ that are not an ID in hex cannot come from
// PutEvent and are skipped.
func (s *Store) ForEachEvent(ctx context.Context, fn func(id crdt.ID, raw []byte) error) error {
	return s.walkEvents(ctx, func(id crdt.ID, raw []byte, _ bool) error { return fn(id, raw) })
}

// walkEvents is ForEachEvent that also says, for each event, whether its
// verified marker is stored and matches its bytes. A marker sorts right
// after its event (verified.go), so one ordered walk sees both: an event
// is held back until the next key shows whether its marker follows.
func (s *Store) walkEvents(ctx context.Context, fn func(id crdt.ID, raw []byte, verified bool) error) error {
	if err := s.acquire(); err != nil {
		return err
	}
	// The lock covers only starting the query: fn may call back into the
	// store, and a pending Close must not deadlock against it. A Close
	// during the walk interrupts pebble's iterator, which ends the walk
	// with ErrClosed below.
	res, err := s.ds.Query(ctx, query.Query{
		Prefix: eventPrefix,
		Orders: []query.Order{query.OrderByKey{}},
	})
	s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("node: store query: %w", err)
	}
	defer res.Close()
	var held struct {
		id  crdt.ID
		raw []byte
		ok  bool
	}
	release := func(verified bool) error {
		if !held.ok {
			return nil
		}
		held.ok = false
		return fn(held.id, held.raw, verified)
	}
	for {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("node: store iterate: %w", err)
		}
		r, ok := res.NextSync()
		if !ok {
			break
		}
		if r.Error != nil {
			if s.isClosed() {
				return ErrClosed
			}
			return fmt.Errorf("node: store iterate: %w", r.Error)
		}
		if mid, ok := parseMarkerKey(r.Key); ok {
			if held.ok && mid == held.id {
				if err := release(markerMatches(r.Value, held.raw)); err != nil {
					return err
				}
			}
			continue // a marker without its event vouches for nothing
		}
		id, ok := parseEventKey(r.Key)
		if !ok {
			continue
		}
		if err := release(false); err != nil {
			return err
		}
		held.id, held.raw, held.ok = id, s.own(r.Value), true
	}
	if err := release(false); err != nil {
		return err
	}
	if s.isClosed() {
		// pebble ends an interrupted walk quietly when nobody reads the
		// error; don't pass a truncated walk off as complete.
		return ErrClosed
	}
	return nil
}

func (s *Store) isClosed() bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.closed
}

func parseEventKey(k string) (crdt.ID, bool) {
	var id crdt.ID
	h, ok := strings.CutPrefix(k, eventPrefix+"/")
	if !ok || len(h) != 2*len(id) {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, false
	}
	return id, true
}

// PutMeta durably stores a small metadata value under name ([a-z0-9._-],
// at most 64 bytes).
func (s *Store) PutMeta(ctx context.Context, name string, v []byte) error {
	k, err := metaKey(name)
	if err != nil {
		return err
	}
	return s.put(ctx, k, v)
}

// GetMeta returns a metadata value, or an error matching ErrNotFound.
func (s *Store) GetMeta(ctx context.Context, name string) ([]byte, error) {
	k, err := metaKey(name)
	if err != nil {
		return nil, err
	}
	return s.get(ctx, k)
}

// Close waits for operations in flight, then closes the datastore. Later
// calls return nil; every other method returns ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.ds.Close(); err != nil {
		return fmt.Errorf("node: close store: %w", err)
	}
	return nil
}

// pebbleLogger adapts slog to pebble's logger.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug("pebble: " + fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error("pebble: " + fmt.Sprintf(format, args...))
}

// Fatalf must not return (pebble calls it on internal invariant violations
// and corruption it cannot recover from); we log and panic rather than
// exit, so an embedding app can report the crash.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := "pebble: " + fmt.Sprintf(format, args...)
	p.l.Error(msg)
	panic(msg)
}
