package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/coopnode/coopnode/node"
)

// wait blocks until a running node has caught up with something: what a
// script needs between steps run on different nodes, since events take a
// moment to spread.
func init() {
	addClient("wait", "wait until the node runs and, if given, has a member, a restaurant, the rules or an order in a status",
		"[-member KEY] [-restaurant KEY] [-rules N] [-order ID [-status S,...] [-personal]] [-timeout 30s]", 0, func(fs *flagSet) clientAction {
			member := fs.String("member", "", "until this key (hex: 64 characters or an unambiguous prefix of at least 4) is an active member")
			resto := fs.String("restaurant", "", "until this restaurant's profile and menu are here (key, hex: 64 characters or an unambiguous prefix of at least 4)")
			rules := fs.Uint64("rules", 0, "until the coop's pricing rules of at least this version are here")
			order := fs.String("order", "", "until this order is here (ID, hex: 64 characters or an unambiguous prefix of at least 4)")
			status := fs.String("status", "", "with -order: until its status is one of these, comma-separated (placed, accepted, preparing, ready, picked_up, delivered, ...)")
			personal := fs.Bool("personal", false, "with -order: until this node can read the order's personal data")
			timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
			return func(iv *invocation) error {
				for _, k := range []struct{ flag, v string }{{"-member", *member}, {"-restaurant", *resto}} {
					if k.v != "" {
						if err := checkHexPrefix(k.flag, k.v); err != nil {
							return err
						}
					}
				}
				if *order != "" {
					if err := checkHexPrefix("-order", *order); err != nil {
						return err
					}
				} else if *status != "" || *personal {
					return usagef("-status and -personal need -order")
				}
				if *timeout <= 0 {
					return usagef("-timeout %v: want a positive duration such as 30s", *timeout)
				}
				w := &waiter{iv: iv, member: strings.ToLower(*member), resto: strings.ToLower(*resto), rules: *rules,
					order: strings.ToLower(*order), statuses: splitList(*status), personal: *personal}
				ctx, cancel := context.WithTimeout(iv.ctx, *timeout)
				defer cancel()
				return w.run(ctx, *timeout)
			}
		})
}

type waiter struct {
	iv       *invocation
	member   string
	resto    string
	rules    uint64
	order    string
	statuses []string
	personal bool
}

// run polls the node until every condition holds or ctx ends.
func (w *waiter) run(ctx context.Context, timeout time.Duration) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := ""
	for {
		missing, err := w.check(ctx)
		if err != nil {
			return err
		}
		if missing == "" {
			return nil
		}
		if ctx.Err() == nil || last == "" {
			last = missing // not the check the deadline cut short
		}
		missing = last
		select {
		case <-ctx.Done():
			if w.iv.ctx.Err() != nil {
				return w.iv.ctx.Err()
			}
			return cliErrorf(node.ErrTimeout, "gave up after %v: %s", timeout, missing)
		case <-tick.C:
		}
	}
}

// match finds the one key or ID in all that prefix (a full one or an
// unambiguous prefix, as every other command takes) names: "" while none
// is here yet, an error when several are.
func match(what, prefix string, all []string) (string, error) {
	if len(prefix) == 64 {
		return prefix, nil
	}
	id, err := pickPrefix(what, prefix, all)
	if errors.Is(err, node.ErrUnknown) {
		return "", nil
	}
	return id, err
}

// check returns what is still missing, or ""; an error ends the wait (an
// ambiguous prefix).
func (w *waiter) check(ctx context.Context) (string, error) {
	missing, err := w.missing(ctx)
	var ce cliError
	if errors.As(err, &ce) {
		return "", err
	}
	if err != nil {
		return err.Error(), nil
	}
	return missing, nil
}

// missing returns what is still missing, or "", or a *cliError.
func (w *waiter) missing(ctx context.Context) (string, error) {
	c, err := newClient(w.iv.dir)
	if err != nil {
		return err.Error(), nil
	}
	get := func(path string, v any) error {
		b, err := c.do(ctx, "GET", path, nil)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, v)
	}
	var st struct{ Key string }
	if err := get("/v1/status", &st); err != nil {
		return "the node does not answer: " + err.Error(), nil
	}
	if w.member != "" {
		var coop struct {
			Members map[string]struct {
				RevokedAt int64 `json:"revoked_at"`
			} `json:"members"`
		}
		if err := get("/v1/coop", &coop); err != nil {
			return "no coop yet: " + err.Error(), nil
		}
		var keys []string
		for k := range coop.Members {
			keys = append(keys, k)
		}
		key, err := match("member", w.member, keys)
		if err != nil {
			return "", err
		}
		if m, ok := coop.Members[key]; !ok || m.RevokedAt != 0 {
			return "member " + short(w.member) + " is not an active member here yet", nil
		}
	}
	if w.resto != "" {
		var rs []struct {
			Key     string          `json:"key"`
			Profile json.RawMessage `json:"profile"`
			Menu    json.RawMessage `json:"menu"`
		}
		if err := get("/v1/restaurants", &rs); err != nil {
			return err.Error(), nil
		}
		var keys []string
		for _, r := range rs {
			keys = append(keys, r.Key)
		}
		key, err := match("restaurant", w.resto, keys)
		if err != nil {
			return "", err
		}
		found := false
		for _, r := range rs {
			found = found || (r.Key == key && len(r.Profile) > 0 && len(r.Menu) > 0)
		}
		if !found {
			return "restaurant " + short(w.resto) + " has no profile and menu here yet", nil
		}
	}
	if w.rules > 0 {
		var set struct {
			Version uint64 `json:"version"`
		}
		if err := get("/v1/coop/rules", &set); err != nil || set.Version < w.rules {
			return fmt.Sprintf("the coop's rules version %d are not here yet", w.rules), nil
		}
	}
	if w.order != "" {
		id := w.order
		if len(id) < 64 {
			var orders []struct {
				ID string `json:"id"`
			}
			if err := get("/v1/orders", &orders); err != nil {
				return err.Error(), nil
			}
			var ids []string
			for _, o := range orders {
				ids = append(ids, o.ID)
			}
			var err error
			if id, err = match("order", w.order, ids); err != nil {
				return "", err
			}
			if id == "" {
				return "order " + short(w.order) + " is not here yet", nil
			}
		}
		var o struct{ Status string }
		if err := get("/v1/orders/"+id, &o); err != nil {
			return "order " + short(w.order) + " is not here yet", nil
		}
		if len(w.statuses) > 0 && !contains(w.statuses, o.Status) {
			return fmt.Sprintf("order %s is %s, not %s", short(w.order), o.Status, strings.Join(w.statuses, " or ")), nil
		}
		if w.personal {
			var pd map[string]any
			if err := get("/v1/orders/"+id+"/personal", &pd); err != nil {
				var ae *apiError
				if errors.As(err, &ae) {
					return "this node cannot read order " + short(w.order) + "'s personal data yet: " + ae.Msg, nil
				}
				return err.Error(), nil
			}
		}
	}
	return "", nil
}
