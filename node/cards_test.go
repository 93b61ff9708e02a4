package node

import (
	"context"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// waitCards waits until n's directory holds want cards.
func waitCards(t *testing.T, ctx context.Context, n *Node, want int) []crdt.DirectoryEntry {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, cards, err := n.Directory(ctx)
		if err == nil && len(cards) == want {
			return cards
		}
		if time.Now().After(deadline) {
			t.Fatalf("the directory holds %d cards, want %d (%v)", len(cards), want, err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait
	}
}

// TestCardsReachLateJoiners (issue 17.2, SPEC.md §22.5): an admin publishes
// its coop's card while no one else follows the city. A customer that
// follows the city later gets the card from the admin by card exchange;
// once the admin is gone, a third node that follows the city later still
// gets it, from the customer, which only carries it. A node that follows
// another city gets no card of Nantes, and a newer card replaces the old
// one at the late joiners.
func TestCardsReachLateJoiners(t *testing.T) {
	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	c := &cluster{t: t, ctx: ctx, nodes: map[string]*Node{}}
	admin := c.startNode("late-admin", RoleAdmin)
	coop, err := admin.Found(ctx, crdt.CoopGenesis{Name: "Vélo Nantes", City: "Nantes", Currency: "EUR"})
	must(t, err)
	if _, err := admin.PublishCard(ctx, CardInfo{Zones: []string{"centre"}, Contact: "hello@velo.example"}); err != nil {
		t.Fatal(err)
	}
	// the customer follows Nantes after the card was published: no
	// gossip carries it any more
	cust := c.startNode("late-cust", RoleCustomer, WithCity("Nantes"))
	other := c.startNode("late-rennes", RoleCustomer, WithCity("Rennes"))
	c.connect(cust, admin)
	c.connect(other, admin)
	c.connect(other, cust)
	cards := waitCards(t, ctx, cust, 1)
	if cards[0].Card.Coop != coop || cards[0].Card.Contact != "hello@velo.example" {
		t.Fatalf("the customer holds %+v", cards[0].Card)
	}
	// a newer card replaces it at the customer, by gossip or exchange
	if _, err := admin.PublishCard(ctx, CardInfo{Zones: []string{"centre", "nord"}, Contact: "bonjour@velo.example"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, cards, err := cust.Directory(ctx)
		if err == nil && len(cards) == 1 && cards[0].Card.Contact == "bonjour@velo.example" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the newer card never reached the customer: %+v %v", cards, err)
		}
		time.Sleep(20 * time.Millisecond) // polling interval of a condition wait
	}
	must(t, admin.Close())

	// the publisher is gone: a later joiner gets the card from the customer
	late := c.startNode("late-joiner", RoleCustomer)
	c.connect(late, cust)
	start := time.Now()
	must(t, late.FollowCity(ctx, " NANTES"))
	cards = waitCards(t, ctx, late, 1)
	t.Logf("late joiner: follow → card held (from a carrier, its publisher gone): %v", time.Since(start).Round(time.Millisecond))
	if cards[0].Card.Coop != coop || cards[0].Card.Contact != "bonjour@velo.example" || len(cards[0].Card.Zones) != 2 {
		t.Fatalf("the late joiner holds %+v", cards[0].Card)
	}
	// Rennes followed nothing of Nantes: its peers answered its
	// exchanges (it asked each of them) with no card
	if city, cards, err := other.Directory(ctx); err != nil || city != "rennes" || len(cards) != 0 {
		t.Fatalf("the node of Rennes holds %q %+v (%v)", city, cards, err)
	}
}
