// Package recon is coopnode's catch-up sync: range-based set reconciliation
// of event IDs between two peers over a direct stream (SPEC.md §8).
//
// Why it exists: gossipsub only delivers events to nodes that are online
// when they are published. A node that was offline, or lost messages, must
// find out which events it lacks (and which of its own the peer lacks)
// without shipping its whole history. Sending every ID costs 32 bytes per
// event ever made; this package finds the differences for a cost that
// depends on the number of differences, not on the history: after missing
// d recent events, one or two round trips and about 2 KB + 40 bytes per
// difference of ID and fingerprint traffic. The events themselves are
// shipped by the node, outside this package: a responder with Options.Push
// delivers the ones its replies find missing before each reply (DiffPush,
// no ID sent; the initiator learns of them through AddPushed), and the
// rest travel by have-list/need-list after the reconciliation.
//
// The method is that of Negentropy (hoytech/negentropy, used by strfry for
// Nostr): items are (timestamp, 32-byte ID) pairs in (time, ID) order; a
// message is a list of ranges given by their upper bounds, each with a
// mode. Equal fingerprints end a range; differing ones are split or
// settled by an ID list. It departs from Negentropy where coopnode's
// pattern (recent differences, two round trips at most) pays off:
//
//   - The first message is shaped for recency: the initiator sends its
//     newest items (those after its "last seen" hint Options.Since, or its
//     newest 32) as an ID list, and fingerprints of buckets that double in
//     size going back in time. Missed recent events fall in the ID list and
//     cost one round trip; all older history costs about 20 bytes per
//     bucket, about 12 buckets for 100k items.
//   - ID lists carry 8-byte salted short IDs. The answer (a Diff) gives the
//     full IDs only of the items the list's sender lacks, a bitmap of the
//     entries the answerer lacks, and the answerer's fingerprint of the
//     range, so the initiator can verify the outcome and, on a short-ID
//     collision, repeat the range with full IDs.
//   - Only the initiator sends ID lists; the responder answers them with a
//     Diff, so the initiator learns full IDs in the same round trip. For a
//     differing fingerprint over a range where differences are dense (the
//     counts that fingerprints carry prove a lower bound), the responder
//     asks for the list (Request) rather than splitting.
//   - Fingerprints are salted per session: SHA-256(salt, sum of IDs mod
//     2^256, count) truncated to 16 bytes, computed in O(log n) from prefix
//     sums (SortedSet).
//   - With a transport that carries events, the responder pushes what a
//     Diff shows missing instead of naming it, and counts it in the Diff
//     (mode DiffPush); the initiator checks the count and the fingerprint
//     against the events that arrived.
//   - The initiator reports what it found to the responder (the IDs the
//     responder lacks) in its next messages and a final one-way Done, so
//     both sides end knowing both directions of the difference.
//
// The package is pure: no I/O, goroutines, clock or logging. Initiator and
// Responder turn received bytes into bytes to send; the node runs them over
// a libp2p stream with length-prefixed frames of at most MaxMessageSize.
// DecodeMessage never panics; all errors wrap the ErrX sentinels.
package recon
