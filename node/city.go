package node

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/market"
)

// City is one customer app over several coops of a city (SPEC.md §22.4).
// A node belongs to one coop (its topics, log, rules and books), so the
// city view runs one node per coop in one process and routes each action
// to the node of the coop it belongs to: the catalogue lists every coop's
// restaurants with their coop, and an order is placed by the node of its
// restaurant's coop, priced by that coop's rules, on that coop's topics
// only. The nodes stay independent; City holds no state of its own.
type City struct {
	mu    sync.RWMutex
	nodes []*Node // in the order given, one per coop; the home node first
	// the data folder's further coops (OpenCity, city_folder.go); zero
	// for a City of given nodes
	folder cityFolder
}

// CityRestaurant is a restaurant of the city with the coop it belongs to.
type CityRestaurant struct {
	Coop     crdt.ID `json:"coop"`
	CoopName string  `json:"coop_name"`
	Restaurant
}

// NewCity groups nodes of distinct coops behind one customer API.
func NewCity(nodes ...*Node) (*City, error) {
	seen := map[crdt.ID]bool{}
	for _, n := range nodes {
		id := n.Coop()
		if id.IsZero() {
			return nil, fmt.Errorf("%w: a node of the city joined no coop", ErrBadArgument)
		}
		if seen[id] {
			return nil, fmt.Errorf("%w: two nodes of coop %s", ErrBadArgument, id.Short())
		}
		seen[id] = true
	}
	return &City{nodes: append([]*Node(nil), nodes...)}, nil
}

// Nodes returns the city's nodes, one per coop, the home node first.
func (c *City) Nodes() []*Node {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return append([]*Node(nil), c.nodes...)
}

// coopNodes returns the nodes that belong to a coop (a home node that
// joined none yet is left out).
func (c *City) coopNodes() []*Node {
	var out []*Node
	for _, n := range c.Nodes() {
		if !n.Coop().IsZero() {
			out = append(out, n)
		}
	}
	return out
}

// Home returns the first node: the data folder's own, which answers
// everything that belongs to no one coop.
func (c *City) Home() *Node { return c.Nodes()[0] }

// Node returns the node of a coop.
func (c *City) Node(coop crdt.ID) (*Node, bool) {
	for _, n := range c.Nodes() {
		if n.Coop() == coop {
			return n, true
		}
	}
	return nil, false
}

// OrderNode returns the node of the coop an order belongs to: the one
// that holds it.
func (c *City) OrderNode(ctx context.Context, id crdt.ID) (*Node, error) {
	for _, n := range c.coopNodes() {
		if _, err := n.Order(ctx, id); err == nil {
			return n, nil
		} else if !errors.Is(err, ErrUnknown) && !errors.Is(err, ErrNotFound) {
			return nil, err
		}
	}
	return nil, errorf(ErrUnknown, "no coop of the city holds order %s", id.Short())
}

// RestaurantNode returns the node of the coop that lists a restaurant
// (coop zero: the only coop that lists it).
func (c *City) RestaurantNode(ctx context.Context, coop crdt.ID, restaurant crdt.PubKey) (*Node, error) {
	return c.route(ctx, coop, restaurant)
}

// Directory returns the city's coop cards from the first node that follows
// a city (SPEC.md §22.3).
func (c *City) Directory(ctx context.Context) (string, []crdt.DirectoryEntry, error) {
	for _, n := range c.Nodes() {
		city, cards, err := n.Directory(ctx)
		if err != nil {
			return "", nil, err
		}
		if city != "" {
			return city, cards, nil
		}
	}
	return "", nil, errorf(ErrBadArgument, "no node of the city follows a city directory")
}

// Restaurants lists the restaurants of every coop, each with its coop.
func (c *City) Restaurants(ctx context.Context) ([]CityRestaurant, error) {
	var out []CityRestaurant
	for _, n := range c.coopNodes() {
		rs, err := n.Restaurants(ctx)
		if err != nil {
			return nil, err
		}
		cs, err := n.CoopState(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			out = append(out, CityRestaurant{Coop: n.Coop(), CoopName: cs.Name, Restaurant: r})
		}
	}
	return out, nil
}

// route finds the node of the coop a restaurant belongs to. coop may be
// zero when the restaurant is in one coop only.
func (c *City) route(ctx context.Context, coop crdt.ID, restaurant crdt.PubKey) (*Node, error) {
	var found []*Node
	for _, n := range c.coopNodes() {
		if !coop.IsZero() && n.Coop() != coop {
			continue
		}
		rs, err := n.Restaurants(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if r.Key == restaurant {
				found = append(found, n)
				break
			}
		}
	}
	switch len(found) {
	case 0:
		return nil, errorf(ErrUnknown, "no coop of the city lists restaurant %s", restaurant.Short())
	case 1:
		return found[0], nil
	}
	return nil, errorf(ErrBadArgument, "restaurant %s is in %d coops: name the coop", restaurant.Short(), len(found))
}

// Checkout places an order with the coop of the cart's restaurant (coop
// zero: the only coop listing it) and returns the order ID, its coop and
// the quote, computed under that coop's rules.
func (c *City) Checkout(ctx context.Context, coop crdt.ID, cart market.Cart, pd PersonalData, pin string) (crdt.ID, crdt.ID, *market.Quote, error) {
	n, err := c.route(ctx, coop, cart.Restaurant)
	if err != nil {
		return crdt.ID{}, crdt.ID{}, nil, err
	}
	id, q, err := n.Checkout(ctx, cart, pd, pin)
	return id, n.Coop(), q, err
}

// CoopKey is the device key a member's node uses in a further coop
// (SPEC.md §22.4): a peer ID is its key, so one key must run on one peer
// only, and the node of each further coop gets its own key, derived from
// the member's seed and the coop ID so that nothing more is stored. In
// that coop the member is admitted with its member key and this key is
// linked to it as a device (SPEC.md §5, device.link; the node signs the
// link itself, WithMemberKey): it then acts for the member, whose books
// and pay are the member key's.
func CoopKey(member ed25519.PrivateKey, coop crdt.ID) ed25519.PrivateKey {
	h := sha256.New()
	h.Write([]byte("coopnode/coop-key/v1\x00"))
	h.Write(member.Seed())
	h.Write(coop[:])
	return ed25519.NewKeyFromSeed(h.Sum(nil))
}
