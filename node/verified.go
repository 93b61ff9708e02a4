package node

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/ipfs/go-datastore"
)

// Verified markers: start-up without checking every signature again
// (issue 14, item 2).
//
// A node checks an event's signature once, when it admits it, and stores
// it only then (docs/architecture.md). Replay used to decode and verify
// every stored event again, which was most of a node's start-up once it
// held months of orders. Now every admitted event is written with a
// marker, /e/<hex ID>/v, in the same pebble batch as the event itself
// (PutEvents, StoredEvent.Verified), so the two are durable together or
// not at all: kill -9 at any point leaves either both or neither
// (TestVerifiedMarkersCrash). The marker holds a digest of the exact
// bytes verified; replay decodes the events whose marker matches without
// checking their signatures (protocol.DecodeTrusted) and verifies the
// others as before, writing their markers once they pass, so a store
// written before markers existed is verified once more and then not
// again. The ID check stays for every event: a body that does not hash to
// the key it is stored under is skipped (SPEC.md §12.2).
//
// Markers are local: they are never sent, and nothing on the wire
// changes. A marker sorts right after its event ('/' is below every hex
// digit), so one ordered walk of /e reads both (Store.walkEvents); a
// marker whose event is gone vouches for nothing.

const markerSuffix = "/v"

// markerLen is the length of a marker's digest: a prefix of SHA-256 over
// the event's raw bytes, signature included, so a signature changed on
// disk no longer matches and is verified again.
const markerLen = 16

func markerKey(id crdt.ID) datastore.Key {
	return datastore.RawKey(eventPrefix + "/" + hex.EncodeToString(id[:]) + markerSuffix)
}

func markerOf(raw []byte) []byte {
	h := sha256.Sum256(raw)
	return h[:markerLen]
}

func markerMatches(mark, raw []byte) bool {
	return len(mark) == markerLen && bytes.Equal(mark, markerOf(raw))
}

func parseMarkerKey(k string) (crdt.ID, bool) {
	h, ok := strings.CutSuffix(k, markerSuffix)
	if !ok {
		return crdt.ID{}, false
	}
	return parseEventKey(h)
}

// PutMarkers durably writes the verified markers of events already
// stored, in one batch: replay marks the events it has just verified.
func (s *Store) PutMarkers(ctx context.Context, evs []StoredEvent) error {
	if len(evs) == 0 {
		return nil
	}
	return s.inBatch(ctx, func(b datastore.Batch) error {
		for _, e := range evs {
			if err := b.Put(ctx, markerKey(e.ID), markerOf(e.Raw)); err != nil {
				return fmt.Errorf("node: store put marker %s: %w", e.ID.Short(), err)
			}
		}
		return nil
	})
}
