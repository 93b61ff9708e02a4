package protocol

import (
	"encoding/hex"

	"github.com/coopnode/coopnode/crdt"
)

// Topics and protocol IDs (SPEC.md §10). Each cooperative has four gossip
// topics, so a node follows only the coops it serves, and only the part of
// a coop's traffic it needs: a customer's phone follows the membership log
// and the menus but not the order traffic of the whole city, which reaches
// it by party push (SPEC.md §10.4) for its own orders only.
//
// Names are short on purpose: gossipsub repeats the topic name in every
// message copy, and with ~260-byte events the old 83-byte names were a
// fifth of all gossip bytes (SPEC.md §10.5).
const (
	// TopicPrefix starts every topic name (SPEC.md §10.1). The "1" is the
	// wire format version: a future format gets new topics rather than
	// sharing these.
	TopicPrefix = "/cn/1/"
	// TopicCoopHexLen is how many hex characters of the coop ID a topic
	// name carries (SPEC.md §10.1): 64 bits, so another coop's topic
	// cannot collide with ours by accident, and forging one costs a 2^64
	// second-preimage search (and gains nothing: receivers still check
	// every event's coop).
	TopicCoopHexLen = 16
	// SyncProtocolID is the libp2p stream protocol of catch-up sync
	// sessions (SPEC.md §8.6, §10.3). Version 2: the session format of
	// version 1 changed incompatibly (responder push, Want after Done,
	// order keys in the Hello), so by the versioning rule of SPEC.md §10.3
	// it has a new ID.
	SyncProtocolID = "/coopnode/sync/2"
	// PushProtocolID is the libp2p stream protocol of party push: a node
	// that stores an order event sends it to the order's parties it is
	// connected to that do not follow the orders topic (SPEC.md §10.4).
	PushProtocolID = "/coopnode/push/1"
)

// topicBase is "/cn/1/" followed by the first TopicCoopHexLen hex digits
// of the coop ID and a slash.
func topicBase(coop crdt.ID) string {
	return TopicPrefix + hex.EncodeToString(coop[:TopicCoopHexLen/2]) + "/"
}

// TopicCoop is the topic of a coop's own log (genesis, members, devices,
// rules): "/cn/1/<16 hex>/c" (SPEC.md §10.1).
func TopicCoop(coop crdt.ID) string { return topicBase(coop) + "c" }

// TopicCatalog is the topic of a coop's catalogue documents, "…/m" for
// menus (SPEC.md §10.1). Its messages may be up to MaxDocSize bytes.
func TopicCatalog(coop crdt.ID) string { return topicBase(coop) + "m" }

// TopicOrders is the topic of a coop's order logs, "…/o" (SPEC.md §10.1):
// followed by couriers, relays and dispatchers, who need every open order.
func TopicOrders(coop crdt.ID) string { return topicBase(coop) + "o" }

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
