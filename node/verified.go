package node

import (
	"crypto/sha256"
	"sync"

	"github.com/coopnode/coopnode/crdt"
)

// verifiedCache remembers events whose signatures the gossip validator
// already checked, keyed by the hash of their bytes, so the loop does not
// verify them again: Ed25519 verification is most of the cost of an event
// (SPEC.md §9.2). It is bounded; a miss only costs a second verification.
type verifiedCache struct {
	mu sync.Mutex
	m  map[[32]byte]*crdt.Event
}

func (c *verifiedCache) put(raw []byte, e *crdt.Event) {
	k := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[[32]byte]*crdt.Event{}
	}
	if len(c.m) >= verifiedCacheMax {
		for old := range c.m { // drop an arbitrary entry
			delete(c.m, old)
			break
		}
	}
	c.m[k] = e
}

// take returns and forgets the event verified for exactly these bytes.
func (c *verifiedCache) take(raw []byte) (*crdt.Event, bool) {
	k := sha256.Sum256(raw)
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if ok {
		delete(c.m, k)
	}
	return e, ok
}
