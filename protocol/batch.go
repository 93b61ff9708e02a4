package protocol

import (
	"github.com/coopnode/coopnode/crdt"
	"github.com/hdevalence/ed25519consensus"
)

// Batch verification (SPEC.md §3.3). Checking the Ed25519 signature is most
// of the cost of receiving an event, and events often arrive many at a time:
// a sync Events frame, a replay of the store. Checking n signatures as one
// random linear combination (one multi-scalar multiplication) costs well
// under n single checks.
//
// A batch check is only safe if it agrees with the single check on every
// signature, or a node that batches and one that does not would admit
// different events and their replicas would diverge. Go's crypto/ed25519 is
// cofactorless and a batch check cannot be, so both paths use ZIP-215 rules
// (ed25519consensus): the cofactored equation, under which a batch of valid
// signatures always passes and a batch holding an invalid one fails but
// with probability about 2^-128.

// Batch sizes (BenchmarkVerifySignature). A batch of 2 costs about what 2
// single checks do, one of 8 about two thirds, one of 32 to 128 about half;
// beyond that nothing more is gained. The batch check's memory (about 4 KB
// a signature) grows with its size, and one bad signature makes its whole
// sub-batch fall back to single checks, so long inputs are checked in
// sub-batches of at most maxBatch, and fewer than minBatch one by one.
const (
	minBatch = 4
	maxBatch = 64
)

// DecodeBatch decodes and verifies wire events, checking their signatures
// in batches. For every i, exactly one of events[i] and errs[i] is nil, and
// they are what Decode(raws[i]) returns: the same event, or an error
// wrapping the same sentinel with the same message. A malformed element
// does not affect the others; a bad signature only makes DecodeBatch check
// the other signatures of its sub-batch one by one to find it, which costs
// time, never a different answer.
//
// The events are verified, not validated: run Check (or ValidateDecoded)
// on each before applying it, in the order the caller needs; that is the
// rest of Validate, without a second signature check.
//
// DecodeBatch never panics on input. Like Decode's, its events share no
// memory with raws.
func DecodeBatch(raws [][]byte) (events []*crdt.Event, errs []error) {
	events = make([]*crdt.Event, len(raws))
	errs = make([]error, len(raws))
	sigs := make([][]byte, len(raws))
	todo := make([]int, 0, len(raws)) // decoded, signature not yet checked
	for i, raw := range raws {
		e, sig, err := decodeUnverified(raw)
		if err != nil {
			errs[i] = err
			continue
		}
		events[i], sigs[i] = e, sig
		todo = append(todo, i)
	}
	for len(todo) > 0 {
		n := min(len(todo), maxBatch)
		if len(todo)-n < minBatch { // don't leave a runt sub-batch
			n = len(todo)
		}
		verifyBatch(events, sigs, errs, todo[:n])
		todo = todo[n:]
	}
	return events, errs
}

// verifyBatch checks the signatures of events[i] for i in idx, as one batch
// if there are enough of them and, if that fails or there are too few, one
// by one. It clears events[i] and sets errs[i] for every bad one.
func verifyBatch(events []*crdt.Event, sigs [][]byte, errs []error, idx []int) {
	if len(idx) >= minBatch {
		bv := ed25519consensus.NewPreallocatedBatchVerifier(len(idx))
		msg := make([]byte, 0, len(SignDomain)+len(crdt.ID{}))
		for _, i := range idx {
			e := events[i]
			// Add hashes msg at once and keeps no reference to it
			msg = append(append(msg[:0], SignDomain...), e.ID[:]...)
			bv.Add(e.Author[:], msg, sigs[i])
		}
		if bv.Verify() {
			return
		}
	}
	for _, i := range idx {
		if err := verifyEvent(events[i], sigs[i]); err != nil {
			events[i], errs[i] = nil, err
		}
	}
}
