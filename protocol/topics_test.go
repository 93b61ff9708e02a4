package protocol

import (
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
)

func TestTopics(t *testing.T) {
	coop := testID("coop")
	hex := coop.String()[:16] // SPEC.md §10.1: the first 64 bits
	for _, c := range []struct{ got, want string }{
		{TopicCoop(coop), "/cn/1/" + hex + "/c"},
		{TopicCatalog(coop), "/cn/1/" + hex + "/m"},
		{TopicOrders(coop), "/cn/1/" + hex + "/o"},
		{TopicTracking(coop), "/cn/1/" + hex + "/t"},
	} {
		if c.got != c.want {
			t.Errorf("topic = %q, want %q", c.got, c.want)
		}
		if len(c.got) != 24 {
			t.Errorf("topic %q is %d bytes, want 24", c.got, len(c.got))
		}
	}
	if PushProtocolID != "/coopnode/push/1" {
		t.Errorf("PushProtocolID = %q", PushProtocolID)
	}
	// sync/1 named an earlier, incompatible session format (SPEC.md §10.3
	// versioning rule): the session of SPEC.md §8.6 is sync/2.
	if SyncProtocolID != "/coopnode/sync/2" {
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
