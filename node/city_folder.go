package node

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/multiformats/go-multiaddr"

	"github.com/coopnode/coopnode/crdt"
)

// A data folder over several coops (SPEC.md §22.4). A customer who wants
// every coop of the city, or a courier who rides for two, keeps one data
// folder with one member key; its own node (the home node) belongs to the
// first coop it joined, and each further coop gets a node of its own,
// stored under the folder:
//
//	DIR/store                  the home node's store
//	DIR/coops/<coop ID>/store  a further coop's node's store
//
// A further coop's node signs with CoopKey(member, coop), never with the
// member key: a key is a peer ID, and one peer ID on two hosts would
// confuse every peer that met both. Nothing else is stored: the node's
// store remembers its coop and the invite's bootstrap peers (joined.go),
// so OpenCity finds every further coop again at the next start.

// CoopsDir is the folder, under a data folder, of its further coops.
const CoopsDir = "coops"

// cityFolder is how a City opened on a data folder starts further coops.
type cityFolder struct {
	dir    string // the data folder
	member ed25519.PrivateKey
	opts   []Option // for every further node, before its key, store and coop
}

// OpenCity groups home, the node of a data folder, with a node for each
// further coop stored under dir (CoopsDir), started with opts and its own
// key and store. The caller closes the City (the further nodes) before
// home.
func OpenCity(ctx context.Context, home *Node, dir string, member ed25519.PrivateKey, opts ...Option) (*City, error) {
	if len(member) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("%w: member key of %d bytes", ErrBadArgument, len(member))
	}
	c := &City{nodes: []*Node{home}, folder: cityFolder{dir: dir, member: member, opts: opts}}
	ents, err := os.ReadDir(filepath.Join(dir, CoopsDir))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("node: the further coops of %s: %w", dir, err)
	}
	for _, e := range ents {
		id, err := crdt.ParseID(e.Name())
		if !e.IsDir() || err != nil || id.IsZero() || id == home.Coop() {
			continue // not a coop's folder: left alone
		}
		if _, err := c.startFurther(ctx, id); err != nil {
			_ = c.Close()
			return nil, err
		}
	}
	return c, nil
}

// startFurther starts the node of a further coop and adds it to the city.
func (c *City) startFurther(ctx context.Context, coop crdt.ID, extra ...Option) (*Node, error) {
	f := c.folder
	store := filepath.Join(f.dir, CoopsDir, coop.String(), "store")
	if err := os.MkdirAll(store, 0o700); err != nil {
		return nil, fmt.Errorf("node: folder of coop %s: %w", coop.Short(), err)
	}
	opts := append(append([]Option(nil), f.opts...), extra...)
	opts = append(opts, WithKey(CoopKey(f.member, coop)), WithMemberKey(f.member), WithDataDir(store), WithCoop(coop))
	n, err := New(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("node: coop %s: %w", coop.Short(), err)
	}
	c.mu.Lock()
	c.nodes = append(c.nodes, n)
	c.mu.Unlock()
	return n, nil
}

// JoinInvite follows the invite's coop: the home node joins it when it
// belongs to no coop yet, the coop's node takes the invite's peers when
// the city has one, and otherwise a new node of that coop starts under
// the data folder and is kept for later starts. It returns the coop's
// node.
func (c *City) JoinInvite(ctx context.Context, inv Invite) (*Node, error) {
	if err := inv.Validate(); err != nil {
		return nil, err
	}
	home := c.Home()
	if n, ok := c.Node(inv.Coop); ok {
		return n, n.JoinInvite(ctx, inv)
	}
	if home.Coop().IsZero() {
		return home, home.JoinInvite(ctx, inv)
	}
	if c.folder.dir == "" {
		return nil, errorf(ErrBadArgument, "this city has no data folder to add coop %s to", inv.Coop.Short())
	}
	return c.startFurther(ctx, inv.Coop, WithInvite(inv))
}

// FollowCard follows a coop of the followed city's directory (SPEC.md
// §22.4): its card's addresses, signed by the coop's admin, are the way
// in, as an invite's would be; then as JoinInvite.
func (c *City) FollowCard(ctx context.Context, coop crdt.ID) (*Node, error) {
	_, cards, err := c.Directory(ctx)
	if err != nil {
		return nil, err
	}
	for _, e := range cards {
		if e.Card.Coop != coop {
			continue
		}
		inv := Invite{Coop: coop}
		for _, a := range e.Card.Addrs {
			if m, err := multiaddr.NewMultiaddr(a); err == nil && checkBootstrapAddr(m) == nil {
				inv.Bootstrap = mergeAddrs(inv.Bootstrap, []multiaddr.Multiaddr{m})
			}
		}
		return c.JoinInvite(ctx, inv)
	}
	return nil, errorf(ErrUnknown, "the city's directory holds no card of coop %s", coop.Short())
}

// Close closes the further coops' nodes (not the home node, which its
// caller owns).
func (c *City) Close() error {
	if c.folder.dir == "" {
		return nil // nodes given to NewCity are their caller's
	}
	c.mu.Lock()
	further := append([]*Node(nil), c.nodes[1:]...)
	c.nodes = c.nodes[:1]
	c.mu.Unlock()
	var errs []error
	for _, n := range further {
		errs = append(errs, n.Close())
	}
	return errors.Join(errs...)
}
