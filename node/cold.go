package node

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/fxamacker/cbor/v2"
	"github.com/ipfs/go-datastore"
	"github.com/ipfs/go-datastore/query"
	pebbleds "github.com/ipfs/go-ds-pebble"
)

// The cold store: archived orders on disk, not in memory (SPEC.md §4.5,
// issue 14 items 1 and 3).
//
// Archiving an order (archive.go) is one batch, written in this order so
// that a batch cut anywhere leaves the events either live or archived,
// never lost:
//
//	/s/<order>                          its folded state, with the coop state's
//	                                    hash it was folded with (kept orders only)
//	/c/<order>                          its events' raw bytes (kept orders only)
//	/x/p/<party>/<last>/<order>         index by party (kept orders only); its
//	                                    value, the folded state as /s/ holds it
//	/x/s/<status>/<last>/<order>        index by status (kept orders only)
//	/x/d/<last>/<order>                 index by last activity (kept orders only):
//	                                    its value, the status and the parties
//	/w/<event>                          each archived event: never wanted again
//	/t/<until>/<order>                  the tombstone, kept until <until>; its
//	                                    value: last activity, kept, event IDs
//	delete /e/<event>, /e/<event>/v     the live copies, last
//
// <last> and <until> are wall ms in 16 hex digits, so an index walk in key
// order is a walk in time. Replay reads the tombstones' keys only (a few
// thousand: one per order archived within the retention period)
// and finishes a cut archival: a live event whose order is tombstoned is
// deleted, its cold copy and tombstone having been written before it.
// Reads of archived orders (Order, Orders, Export, Price, PersonalDataOf)
// fold the cold events again with the coop's current state, as a refold
// of the live order would (SPEC.md §4.3), so what they return is what the
// events say; while the coop's state hash is the one the order was folded
// with at archival, they read the folded state instead (/s/, one decode
// per order rather than decoding and folding every event: a month of a
// restaurant's orders costs what it returns).
const (
	coldPrefix   = "/c"
	snapPrefix   = "/s"
	tombPrefix   = "/t"
	wantPrefix   = "/w"
	partyPrefix  = "/x/p"
	statusPrefix = "/x/s"
	dayPrefix    = "/x/d"
)

func hexID(id crdt.ID) string         { return hex.EncodeToString(id[:]) }
func hexLast(ms int64) string         { return fmt.Sprintf("%016x", uint64(max(ms, 0))) }
func coldKey(o crdt.ID) datastore.Key { return datastore.RawKey(coldPrefix + "/" + hexID(o)) }
func snapKey(o crdt.ID) datastore.Key { return datastore.RawKey(snapPrefix + "/" + hexID(o)) }
func tombKey(until int64, o crdt.ID) datastore.Key {
	return datastore.RawKey(tombPrefix + "/" + hexLast(until) + "/" + hexID(o))
}
func wantKey(e crdt.ID) datastore.Key { return datastore.RawKey(wantPrefix + "/" + hexID(e)) }
func partyKey(p crdt.PubKey, last int64, o crdt.ID) datastore.Key {
	return datastore.RawKey(partyPrefix + "/" + hexID(crdt.ID(p)) + "/" + hexLast(last) + "/" + hexID(o))
}
func statusKey(st crdt.OrderStatus, last int64, o crdt.ID) datastore.Key {
	return datastore.RawKey(statusPrefix + "/" + st.String() + "/" + hexLast(last) + "/" + hexID(o))
}
func dayKey(last int64, o crdt.ID) datastore.Key {
	return datastore.RawKey(dayPrefix + "/" + hexLast(last) + "/" + hexID(o))
}

// storeOp is one write of a batch: effects as data, so a test can cut a
// batch after any operation.
type storeOp struct {
	key datastore.Key
	val []byte
	del bool
}

// tomb is a tombstone as stored: until when it is kept, the order's last
// activity, whether its events are in the cold store, and their IDs.
type tomb struct {
	order  crdt.ID
	until  int64
	last   int64
	kept   bool
	events []crdt.ID
}

func (t tomb) encode() []byte {
	b := binary.BigEndian.AppendUint64(nil, uint64(t.last))
	k := byte(0)
	if t.kept {
		k = 1
	}
	b = append(b, k)
	for _, id := range t.events {
		b = append(b, id[:]...)
	}
	return b
}

var errBadTomb = errors.New("node: malformed tombstone")

func decodeTomb(o crdt.ID, until int64, b []byte) (tomb, error) {
	if len(b) < 9 || (len(b)-9)%32 != 0 {
		return tomb{}, fmt.Errorf("%w: %s", errBadTomb, o.Short())
	}
	t := tomb{order: o, until: until, last: int64(binary.BigEndian.Uint64(b)), kept: b[8] == 1}
	for p := 9; p < len(b); p += 32 {
		t.events = append(t.events, crdt.ID(b[p:p+32]))
	}
	return t, nil
}

// encodeRaws packs an order's events, each length-prefixed, into one value.
func encodeRaws(raws [][]byte) []byte {
	var b []byte
	for _, r := range raws {
		b = binary.AppendUvarint(b, uint64(len(r)))
		b = append(b, r...)
	}
	return b
}

func decodeRaws(b []byte) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		n, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < n {
			return nil, errors.New("node: malformed cold record")
		}
		out = append(out, b[k:k+int(n)])
		b = b[k+int(n):]
	}
	return out, nil
}

// archiveOps are the writes that archive one order (see the layout above).
// raws are its events' bytes, parallel to t.events; status and parties
// are what it is indexed under when kept, snap its folded state
// (coldSnapshot; nil: none, reads fold the events).
func archiveOps(t tomb, raws [][]byte, status crdt.OrderStatus, parties []crdt.PubKey, snap []byte) []storeOp {
	var ops []storeOp
	if t.kept {
		if snap != nil {
			ops = append(ops, storeOp{key: snapKey(t.order), val: snap})
		} else {
			snap = []byte{}
		}
		ops = append(ops, storeOp{key: coldKey(t.order), val: encodeRaws(raws)})
		ps := []byte{byte(status)}
		for _, p := range parties {
			ops = append(ops, storeOp{key: partyKey(p, t.last, t.order), val: snap})
			ps = append(ps, p[:]...)
		}
		ops = append(ops, storeOp{key: statusKey(status, t.last, t.order), val: []byte{}})
		ops = append(ops, storeOp{key: dayKey(t.last, t.order), val: ps})
	}
	for _, id := range t.events {
		ops = append(ops, storeOp{key: wantKey(id), val: t.order[:]})
	}
	ops = append(ops, storeOp{key: tombKey(t.until, t.order), val: t.encode()})
	for _, id := range t.events {
		ops = append(ops, storeOp{key: markerKey(id), del: true}, storeOp{key: eventKey(id), del: true})
	}
	return ops
}

// expireColdOps delete a kept order's cold copy and its index entries
// (its retention is over); its tombstone stays until its own time.
func expireColdOps(o crdt.ID, last int64, status crdt.OrderStatus, parties []crdt.PubKey) []storeOp {
	ops := []storeOp{{key: dayKey(last, o), del: true}, {key: statusKey(status, last, o), del: true}}
	for _, p := range parties {
		ops = append(ops, storeOp{key: partyKey(p, last, o), del: true})
	}
	return append(ops, storeOp{key: snapKey(o), del: true}, storeOp{key: coldKey(o), del: true})
}

// forgetTombOps delete a tombstone and what it names; the tombstone last.
func forgetTombOps(t tomb) []storeOp {
	var ops []storeOp
	if t.kept { // normally expired already (retention ends before the tombstone)
		ops = append(ops, storeOp{key: snapKey(t.order), del: true}, storeOp{key: coldKey(t.order), del: true}, storeOp{key: dayKey(t.last, t.order), del: true})
	}
	for _, id := range t.events {
		ops = append(ops, storeOp{key: wantKey(id), del: true})
	}
	return append(ops, storeOp{key: tombKey(t.until, t.order), del: true})
}

// apply writes ops in one batch (one fsync), in order.
func (s *Store) apply(ctx context.Context, ops []storeOp) error {
	if len(ops) == 0 {
		return nil
	}
	return s.inBatch(ctx, func(b datastore.Batch) error {
		for _, op := range ops {
			var err error
			if op.del {
				err = b.Delete(ctx, op.key)
			} else {
				err = b.Put(ctx, op.key, s.own(op.val))
			}
			if err != nil {
				return fmt.Errorf("node: store batch %s: %w", op.key, err)
			}
		}
		return nil
	})
}

// walk calls fn for each key under prefix in key order (descending if
// desc) until fn returns false or an error.
func (s *Store) walk(ctx context.Context, prefix string, desc, keysOnly bool, fn func(k string, v []byte) (bool, error)) error {
	if err := s.acquire(); err != nil {
		return err
	}
	var order query.Order = query.OrderByKey{}
	if desc {
		order = query.OrderByKeyDescending{}
	}
	res, err := s.ds.Query(ctx, query.Query{Prefix: prefix, Orders: []query.Order{order}, KeysOnly: keysOnly})
	s.mu.RUnlock()
	if err != nil {
		return fmt.Errorf("node: store query %s: %w", prefix, err)
	}
	defer res.Close()
	for {
		r, ok := res.NextSync()
		if !ok {
			return nil
		}
		if r.Error != nil {
			return fmt.Errorf("node: store iterate %s: %w", prefix, r.Error)
		}
		more, err := fn(r.Key, s.own(r.Value))
		if err != nil || !more {
			return err
		}
	}
}

// compactArchival asks pebble to compact the key ranges archival writes
// and deletes in (the live events, the cold store, its indexes, the
// tombstones and archived-event IDs), after a step that deleted many
// keys: until it does, every walk of those ranges (replay above all) steps
// over their deletion markers. Only pebble stores compact.
func (s *Store) compactArchival(ctx context.Context) error {
	if err := s.acquire(); err != nil {
		return err
	}
	defer s.mu.RUnlock()
	d, ok := s.ds.(*pebbleds.Datastore)
	if !ok {
		return nil
	}
	for _, p := range []string{eventPrefix, coldPrefix, snapPrefix, tombPrefix, wantPrefix, "/x"} {
		// '0' follows '/': the range is every key under p/
		if err := d.DB.Compact(ctx, []byte(p+"/"), []byte(p+"0"), false); err != nil {
			return fmt.Errorf("node: compact %s: %w", p, err)
		}
	}
	return nil
}

// tombs reads every tombstone's order and time, from the keys only.
func (s *Store) tombs(ctx context.Context) ([]tomb, error) {
	var out []tomb
	err := s.walk(ctx, tombPrefix, false, true, func(k string, _ []byte) (bool, error) {
		until, o, ok := parseTimedKey(strings.TrimPrefix(k, tombPrefix+"/"))
		if ok {
			out = append(out, tomb{order: o, until: until})
		}
		return true, nil
	})
	return out, err
}

// tomb reads a tombstone whole.
func (s *Store) tomb(ctx context.Context, o crdt.ID, until int64) (tomb, error) {
	v, err := s.get(ctx, tombKey(until, o))
	if err != nil {
		return tomb{}, err
	}
	return decodeTomb(o, until, v)
}

// parseTimedKey parses "<16 hex time>/<64 hex ID>".
func parseTimedKey(k string) (int64, crdt.ID, bool) {
	parts := strings.Split(k, "/")
	if len(parts) != 2 {
		return 0, crdt.ID{}, false
	}
	t, err := strconv.ParseUint(parts[0], 16, 64)
	if err != nil {
		return 0, crdt.ID{}, false
	}
	o, ok := parseHexID(parts[1])
	return int64(t), o, ok
}

// coldRaws returns an archived order's events, or an error matching
// ErrNotFound.
func (s *Store) coldRaws(ctx context.Context, o crdt.ID) ([][]byte, error) {
	v, err := s.get(ctx, coldKey(o))
	if err != nil {
		return nil, err
	}
	return decodeRaws(v)
}

// archivedEvent reports whether id is an event of an archived order.
func (s *Store) archivedEvent(ctx context.Context, id crdt.ID) bool {
	if err := s.acquire(); err != nil {
		return false
	}
	defer s.mu.RUnlock()
	ok, err := s.ds.Has(ctx, wantKey(id))
	return err == nil && ok
}

// coldIndexed lists archived orders, newest last activity first, whose
// last activity is at or after since: a party's (party not zero) from the
// party index, with the folded states it holds (else nil), else those
// with a status (status not "") from the status index, else all from the
// index by last activity. It stops at the first older one, so it costs
// what it returns.
func (s *Store) coldIndexed(ctx context.Context, party crdt.PubKey, status string, since int64) ([]crdt.ID, [][]byte, error) {
	prefix := dayPrefix
	switch {
	case !party.IsZero():
		prefix = partyPrefix + "/" + hexID(crdt.ID(party))
	case status != "":
		prefix = statusPrefix + "/" + status
	}
	var out []crdt.ID
	var snaps [][]byte
	err := s.walk(ctx, prefix, true, party.IsZero(), func(k string, v []byte) (bool, error) {
		last, o, ok := parseTimedKey(strings.TrimPrefix(k, prefix+"/"))
		if !ok {
			return true, nil
		}
		if last < since {
			return false, nil
		}
		out, snaps = append(out, o), append(snaps, v)
		return true, nil
	})
	return out, snaps, err
}

// coldEntry is a kept order as the index by last activity holds it.
type coldEntry struct {
	order   crdt.ID
	last    int64
	status  crdt.OrderStatus
	parties []crdt.PubKey
}

// coldExpired lists kept orders whose last activity is before cutoff, with
// the status and parties they are indexed under, oldest first.
func (s *Store) coldExpired(ctx context.Context, cutoff int64) (out []coldEntry, err error) {
	err = s.walk(ctx, dayPrefix, false, false, func(k string, v []byte) (bool, error) {
		last, o, ok := parseTimedKey(strings.TrimPrefix(k, dayPrefix+"/"))
		if !ok {
			return true, nil
		}
		if last >= cutoff {
			return false, nil
		}
		c := coldEntry{order: o, last: last}
		if len(v)%32 == 1 {
			c.status, v = crdt.OrderStatus(v[0]), v[1:]
		}
		for p := 0; p+32 <= len(v); p += 32 {
			c.parties = append(c.parties, crdt.PubKey(v[p:p+32]))
		}
		out = append(out, c)
		return true, nil
	})
	return out, err
}

func parseHexID(h string) (crdt.ID, bool) {
	var id crdt.ID
	if len(h) != 2*len(id) {
		return id, false
	}
	if _, err := hex.Decode(id[:], []byte(h)); err != nil {
		return id, false
	}
	return id, true
}

// coldSnapshot encodes an archived order's folded state with the hash of
// the coop state it was folded with (/s/<order>).
func coldSnapshot(stamp [32]byte, s *crdt.OrderState) ([]byte, error) {
	b, err := cbor.Marshal(s)
	if err != nil {
		return nil, err
	}
	return append(stamp[:], b...), nil
}

// coldSnapshotOf reads an archived order's folded state if it was folded
// with the coop state whose hash is stamp.
func (s *Store) coldSnapshotOf(ctx context.Context, o crdt.ID, stamp [32]byte) (*crdt.OrderState, bool) {
	v, err := s.get(ctx, snapKey(o))
	if err != nil {
		return nil, false
	}
	return decodeSnapshot(o, v, stamp)
}

// decodeSnapshot decodes a coldSnapshot of order o folded with stamp.
func decodeSnapshot(o crdt.ID, v []byte, stamp [32]byte) (*crdt.OrderState, bool) {
	if len(v) < len(stamp) || [32]byte(v[:32]) != stamp {
		return nil, false
	}
	var st crdt.OrderState
	if err := cbor.Unmarshal(v[32:], &st); err != nil || st.ID != o {
		return nil, false
	}
	return &st, true
}
