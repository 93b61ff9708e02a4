package node

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// TestMessagesReadForPeople: errors a user reads say what is wrong in
// plain words, without the sentinel's "node: bad argument: " prefix, and
// still carry their code (README review).
func TestMessagesReadForPeople(t *testing.T) {
	_, err := ParseRole("chef")
	if want := `unknown role "chef": want one of customer, restaurant, courier, admin, relay`; err == nil || err.Error() != want || Code(err) != "bad_role" {
		t.Errorf("ParseRole(chef) = %v (code %s), want %q (bad_role)", err, Code(err), want)
	}

	t.Cleanup(leakCheck(t))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	n, err := New(ctx, WithKey(nodeKey("admin")), WithRole(RoleAdmin), WithListen("/ip4/127.0.0.1/tcp/0"), WithSyncInterval(-1))
	must(t, err)
	defer n.Close()
	coop, err := n.Found(ctx, crdt.CoopGenesis{Name: "Twice Coop", City: "Nantes", Currency: "EUR"})
	must(t, err)
	want := "this node already belongs to coop " + coop.Short()
	_, err = n.Found(ctx, crdt.CoopGenesis{Name: "Again", City: "Nantes", Currency: "EUR"})
	if err == nil || err.Error() != want || !errors.Is(err, ErrBadArgument) {
		t.Errorf("second Found: %v, want %q (bad_argument)", err, want)
	}
	var other crdt.ID
	other[0] = 1
	if err := n.Join(ctx, other); err == nil || err.Error() != want || Code(err) != "bad_argument" {
		t.Errorf("Join of another coop: %v, want %q (bad_argument)", err, want)
	}
}
