package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
)

// Marketplace subcommands (SPEC.md §13.5): they drive a running node's HTTP
// API like the other client commands.
func init() {
	for name, c := range map[string]command{
		"rules":    fileCommand("publish the coop's pricing rules from a JSON file (admins)", "PUT", "/v1/coop/rules"),
		"quote":    cartCommand("price a cart without ordering: -file cart.json [-restaurant KEY]", "/v1/quote", false),
		"checkout": cartCommand("price and place an order: -file checkout.json ({cart, personal, pin}) [-restaurant KEY]", "/v1/checkout", true),
		"parcel":   fileCommand("request a parcel delivery (shops) from a JSON file", "POST", "/v1/deliveries"),
		"slots": {"list a restaurant's time slots: -restaurant KEY", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			cf := newClientFlags("slots", stderr)
			k := cf.fs.String("restaurant", "", "the restaurant's key, hex (required)")
			c, _, err := cf.client(args, 0)
			if err != nil {
				return err
			}
			if len(*k) != 64 {
				return fmt.Errorf("%w: -restaurant must be 64 hex characters", errUsage)
			}
			return c.call(ctx, "GET", "/v1/restaurants/"+*k+"/slots", nil, stdout)
		}},
		"price": {"show how an order's price was derived: coopnode price -data DIR ORDER", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			cf := newClientFlags("price", stderr)
			c, rest, err := cf.client(args, 1)
			if err != nil {
				return err
			}
			return c.call(ctx, "GET", "/v1/orders/"+rest[0]+"/price", nil, stdout)
		}},
		"personal": {"show an order's sealed personal data, if this node may read it", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			cf := newClientFlags("personal", stderr)
			c, rest, err := cf.client(args, 1)
			if err != nil {
				return err
			}
			return c.call(ctx, "GET", "/v1/orders/"+rest[0]+"/personal", nil, stdout)
		}},
		"position": {"share the courier's position with its orders' parties: -lat 47.21 -lon -1.55", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			cf := newClientFlags("position", stderr)
			lat := cf.fs.Float64("lat", 0, "latitude in degrees")
			lon := cf.fs.Float64("lon", 0, "longitude in degrees")
			c, _, err := cf.client(args, 0)
			if err != nil {
				return err
			}
			pos := map[string]any{"lat_e6": int64(*lat * 1e6), "lon_e6": int64(*lon * 1e6)}
			return c.call(ctx, "POST", "/v1/position", map[string]any{"position": pos}, stdout)
		}},
		"track": {"follow an order's courier: position and ETA (its customer and restaurant)", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			cf := newClientFlags("track", stderr)
			c, rest, err := cf.client(args, 1)
			if err != nil {
				return err
			}
			return c.call(ctx, "GET", "/v1/orders/"+rest[0]+"/tracking", nil, stdout)
		}},
		"rate": orderAction("rate a delivered order (its customer): -restaurant 1-5 -courier 1-5 ORDER", "rate", func(fs *flag.FlagSet) func() (map[string]any, error) {
			rs := fs.Uint("restaurant", 0, "stars for the restaurant, 1-5 (0: none)")
			cs := fs.Uint("courier", 0, "stars for the courier, 1-5 (0: none)")
			cm := fs.String("comment", "", "a comment")
			return func() (map[string]any, error) {
				if *rs > 5 || *cs > 5 {
					return nil, fmt.Errorf("%w: stars go from 1 to 5", errUsage)
				}
				return map[string]any{"restaurant_stars": *rs, "courier_stars": *cs, "comment": *cm}, nil
			}
		}),
		"export": {"write a CSV export: -kind orders|deliveries|pay|pay-summary [-day YYYY-MM-DD] [-courier KEY] [-restaurant KEY]", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
			cf := newClientFlags("export", stderr)
			kind := cf.fs.String("kind", "orders", "orders, deliveries, pay or pay-summary")
			day := cf.fs.String("day", "", "a local date, YYYY-MM-DD")
			courier := cf.fs.String("courier", "", "only this courier's orders (key, hex)")
			resto := cf.fs.String("restaurant", "", "only this restaurant's orders (key, hex)")
			c, _, err := cf.client(args, 0)
			if err != nil {
				return err
			}
			switch *kind {
			case "orders", "deliveries", "pay", "pay-summary":
			default:
				return fmt.Errorf("%w: -kind %q", errUsage, *kind)
			}
			q := url.Values{}
			for k, v := range map[string]string{"day": *day, "courier": *courier, "restaurant": *resto} {
				if v != "" {
					q.Set(k, v)
				}
			}
			return c.call(ctx, "GET", "/v1/exports/"+*kind+".csv?"+q.Encode(), nil, stdout)
		}},
	} {
		clientCommands[name] = c
	}
}

// cartCommand posts a cart (quote) or a checkout request, with the cart's
// restaurant optionally set by -restaurant, so example files need no key.
func cartCommand(summary, path string, wrapped bool) command {
	return command{summary, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("", stderr)
		file := cf.fs.String("file", "", "JSON file (required)")
		resto := cf.fs.String("restaurant", "", "the restaurant's key, hex (overrides the file's)")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		raw, err := readJSONFile(*file)
		if err != nil {
			return err
		}
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			return fmt.Errorf("%s: %w", *file, err)
		}
		if inner, ok := body["cart"].(map[string]any); ok && !wrapped {
			body = inner // a quote of a checkout file's cart
		}
		if *resto != "" {
			if len(*resto) != 64 {
				return fmt.Errorf("%w: -restaurant must be 64 hex characters", errUsage)
			}
			cart := body
			if wrapped {
				inner, _ := body["cart"].(map[string]any)
				if inner == nil {
					return fmt.Errorf("%s: no \"cart\" object", *file)
				}
				cart = inner
			}
			cart["restaurant"] = *resto
		}
		return c.call(ctx, "POST", path, body, stdout)
	}}
}
