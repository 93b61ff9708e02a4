package protocol

import "github.com/coopnode/coopnode/crdt"

// DecodeTrusted decodes wire bytes that this node verified before, as
// Decode does but without checking the signature: the size bound, the
// envelope and the body are checked, and the ID is computed from the
// body. It is for a node's own store only (a replay of events whose
// signatures were checked when they were admitted, with a marker saying
// so); bytes from anywhere else go through Decode or DecodeBatch. It never
// panics on input.
//
// Nor does it re-encode the body to check that it is canonical (§3.2):
// the node checked that too when it admitted the bytes, and the re-encoding
// was a fifth of a relay's start-up once signatures were no longer checked.
func DecodeTrusted(raw []byte) (*crdt.Event, error) {
	body, _, err := splitEnvelope(raw)
	if err != nil {
		return nil, err
	}
	e, err := decodeBodyAs(body, len(raw), false)
	if err != nil {
		return nil, err
	}
	e.ID = EventID(body)
	return e, nil
}
