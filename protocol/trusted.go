package protocol

import "github.com/coopnode/coopnode/crdt"

// DecodeTrusted decodes wire bytes that this node verified before, as
// Decode does but without checking the signature: the size bound, the
// envelope and the body are checked, and the ID is computed from the
// body. It is for a node's own store only (a replay of events whose
// signatures were checked when they were admitted, with a marker saying
// so); bytes from anywhere else go through Decode or DecodeBatch. It never
// panics on input.
func DecodeTrusted(raw []byte) (*crdt.Event, error) {
	e, _, err := decodeUnverified(raw)
	if err != nil {
		return nil, err
	}
	return e, nil
}
