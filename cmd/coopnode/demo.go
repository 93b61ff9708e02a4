package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/coopnode/coopnode/node/demo"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	asJSON := fs.Bool("json", false, "end with one JSON summary object on its own line")
	quiet := fs.Bool("quiet", false, "with -json: print only the JSON line")
	cfg := demo.Config{}
	fs.IntVar(&cfg.Restaurants, "restaurants", 2, "restaurants (1-20)")
	fs.IntVar(&cfg.Couriers, "couriers", 3, "couriers (2-30)")
	fs.IntVar(&cfg.Customers, "customers", 3, "customers (1-50)")
	fs.IntVar(&cfg.Orders, "orders", 6, "orders (1-200)")
	fs.Int64Var(&cfg.Seed, "seed", 1, "randomness seed")
	timeout := fs.Duration("timeout", 3*time.Minute, "give up after this long")
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	for _, r := range []struct {
		name      string
		v, lo, hi int
	}{{"restaurants", cfg.Restaurants, 1, 20}, {"couriers", cfg.Couriers, 2, 30}, {"customers", cfg.Customers, 1, 50}, {"orders", cfg.Orders, 1, 200}} {
		if r.v < r.lo || r.v > r.hi {
			return fmt.Errorf("%w: -%s %d is outside %d..%d", errUsage, r.name, r.v, r.lo, r.hi)
		}
	}
	cfg.Out = stdout
	if *asJSON && *quiet {
		cfg.Out = io.Discard
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	sum, err := demo.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *asJSON {
		b, _ := json.Marshal(sum)
		fmt.Fprintln(stdout, string(b))
	}
	if !sum.ReplicasConverged || sum.OrdersDelivered != sum.OrdersPlaced {
		return fmt.Errorf("demo ended unhealthy: %d/%d delivered, converged=%v", sum.OrdersDelivered, sum.OrdersPlaced, sum.ReplicasConverged)
	}
	return nil
}
