package protocol

import "github.com/coopnode/coopnode/crdt"

// Topics and protocol IDs (SPEC.md §10). Each cooperative has three gossip
// topics, so a node follows only the coops it serves and a phone can follow
// a coop's orders without its menus. The "1" is the wire format version:
// a future format gets new topics rather than sharing these.
const (
	// TopicPrefix starts every topic name (SPEC.md §10).
	TopicPrefix = "/coopnode/1/"
	// SyncProtocolID is the libp2p stream protocol for pulling events
	// (SPEC.md §10).
	SyncProtocolID = "/coopnode/sync/1"
)

// TopicCoop is the topic of a coop's own log (genesis, members, devices):
// "/coopnode/1/<64 hex coop id>/coop" (SPEC.md §10).
func TopicCoop(coop crdt.ID) string { return TopicPrefix + coop.String() + "/coop" }

// TopicCatalog is the topic of a coop's catalogue documents (SPEC.md §10).
// Its messages may be up to MaxDocSize bytes.
func TopicCatalog(coop crdt.ID) string { return TopicPrefix + coop.String() + "/catalog" }

// TopicOrders is the topic of a coop's order logs (SPEC.md §10).
func TopicOrders(coop crdt.ID) string { return TopicPrefix + coop.String() + "/orders" }

// TopicFor returns the topic that carries e, by its kind's scope class: a
// coop.genesis goes to the topic of the coop it founds, TopicCoop(e.ID). It
// returns "" for nil or an unknown kind. A validator should check that an
// accepted event arrived on TopicFor(event), so that a coop's topic carries
// only that coop's events.
func TopicFor(e *crdt.Event) string {
	if e == nil {
		return ""
	}
	switch e.Kind.Class() {
	case crdt.ScopeCoop:
		if e.Kind == crdt.KindCoopGenesis {
			return TopicCoop(e.ID)
		}
		return TopicCoop(e.Coop)
	case crdt.ScopeCatalog:
		return TopicCatalog(e.Coop)
	case crdt.ScopeOrder:
		return TopicOrders(e.Coop)
	}
	return ""
}
