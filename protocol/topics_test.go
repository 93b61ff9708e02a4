package protocol

import (
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

func TestTopics(t *testing.T) {
	coop := testID("coop")
	hex := coop.String()
	if got, want := TopicCoop(coop), "/coopnode/1/"+hex+"/coop"; got != want {
		t.Errorf("TopicCoop = %q, want %q", got, want)
	}
	if got, want := TopicCatalog(coop), "/coopnode/1/"+hex+"/catalog"; got != want {
		t.Errorf("TopicCatalog = %q, want %q", got, want)
	}
	if got, want := TopicOrders(coop), "/coopnode/1/"+hex+"/orders"; got != want {
		t.Errorf("TopicOrders = %q, want %q", got, want)
	}
	if SyncProtocolID != "/coopnode/sync/1" {
		t.Errorf("SyncProtocolID = %q", SyncProtocolID)
	}
	for _, k := range crdt.AllKinds() {
		e := &crdt.Event{ID: testID("self"), Coop: coop, Kind: k}
		want := map[crdt.ScopeClass]string{crdt.ScopeCoop: TopicCoop(coop), crdt.ScopeCatalog: TopicCatalog(coop), crdt.ScopeOrder: TopicOrders(coop)}[k.Class()]
		if k == crdt.KindCoopGenesis {
			want = TopicCoop(e.ID)
		}
		if got := TopicFor(e); got != want || !strings.HasPrefix(got, TopicPrefix) {
			t.Errorf("TopicFor(%s) = %q, want %q", k, got, want)
		}
	}
	if TopicFor(nil) != "" || TopicFor(&crdt.Event{Kind: 99}) != "" {
		t.Error("TopicFor of nil or an unknown kind is not empty")
	}
}
