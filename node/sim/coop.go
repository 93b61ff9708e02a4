package sim

import (
	"context"
	"time"

	"github.com/coopnode/coopnode/node"
)

// Nodes lists the nodes of a simulation's participants, in order.
func Nodes[P any](ps []P, nodeOf func(P) *node.Node) []*node.Node {
	ns := make([]*node.Node, len(ps))
	for i, p := range ps {
		ns[i] = nodeOf(p)
	}
	return ns
}

// WaitMembers polls until every node's membership log lists members
// members, for at most d.
func WaitMembers(ctx context.Context, d, every time.Duration, nodes []*node.Node, members int) error {
	return Poll(ctx, d, every, "every node to know every member", func() bool {
		for _, n := range nodes {
			cs, err := n.CoopState(ctx)
			if err != nil || len(cs.Members) != members {
				return false
			}
		}
		return true
	})
}

// WaitCatalogue polls until every node holds a profile and a menu for each
// of restaurants restaurants, for at most d.
func WaitCatalogue(ctx context.Context, d, every time.Duration, nodes []*node.Node, restaurants int) error {
	return Poll(ctx, d, every, "the catalogue on every node", func() bool {
		for _, n := range nodes {
			rs, err := n.Restaurants(ctx)
			if err != nil || len(rs) != restaurants {
				return false
			}
			for _, x := range rs {
				if x.Profile == nil || x.Menu == nil {
					return false
				}
			}
		}
		return true
	})
}

// Needs reports whether a node of role is meant to hold an event of scope
// ("coop", "catalog" or "order", as in node.Change): everybody holds the
// membership log and the catalogue; of the order scope, the roles that
// follow the orders topic hold every order (couriers for the job board,
// admins, relays), customers and restaurants only the orders they are a
// party of, which reach them by party push (SPEC.md §10.1, §10.4). A
// propagation figure that waited for every node would wait for events
// nobody sends.
func Needs(role node.Role, scope string, party bool) bool {
	if scope != "order" || party {
		return true
	}
	return role != node.RoleCustomer && role != node.RoleRestaurant
}
