package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/coopnode/coopnode/market"
)

// Books computes the coop's open books over a period from the logs this
// node holds (SPEC.md §21.3): two nodes holding the same events print the
// same lines and the same digest, whatever order the events came in.
func (n *Node) Books(ctx context.Context, p market.Period) (*market.Books, error) {
	var b *market.Books
	err := n.do(ctx, func() error {
		coop := n.replica.CoopView(n.cfg.coop)
		if coop == nil {
			return ErrNoCoop
		}
		var err error
		b, err = market.ComputeBooks(coop, n.replica.Orders(n.cfg.coop, nil), p)
		if errors.Is(err, market.ErrBadFilter) {
			return fmt.Errorf("%w: %w", ErrBadArgument, err)
		}
		return err
	})
	return b, err
}
