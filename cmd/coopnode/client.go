package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Client subcommands drive a running node through its HTTP API
// (SPEC.md §13), using the token and address in the node's data folder.

// apiClient talks to the node whose data folder is dir.
type apiClient struct {
	base, token string
	http        *http.Client
}

func newClient(dir string) (*apiClient, error) {
	_, cfg, err := loadData(dir)
	if err != nil {
		return nil, err
	}
	addr, err := os.ReadFile(filepath.Join(dir, apiFile))
	if err != nil {
		return nil, fmt.Errorf("no running node for %s (start it with 'coopnode run -data %s'): %w", dir, dir, err)
	}
	return &apiClient{base: "http://" + strings.TrimSpace(string(addr)), token: cfg.Token, http: &http.Client{Timeout: 40 * time.Second}}, nil
}

// call sends a request and prints the JSON answer indented, or returns the
// API's error.
func (c *apiClient) call(ctx context.Context, method, path string, body any, out io.Writer) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		var e struct{ Error, Code string }
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("%s (%s, HTTP %d)", e.Error, e.Code, resp.StatusCode)
		}
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, b)
	}
	var v any
	if json.Unmarshal(b, &v) == nil {
		pretty, _ := json.MarshalIndent(v, "", "  ")
		b = append(pretty, '\n')
	}
	_, err = out.Write(b)
	return err
}

type clientFlags struct {
	fs  *flag.FlagSet
	dir *string
}

func newClientFlags(name string, stderr io.Writer) clientFlags {
	fs := newFlags(name, stderr)
	return clientFlags{fs: fs, dir: fs.String("data", "", "data folder of the running node (required)")}
}

// client parses the flags, checks positional arguments (all of them order
// IDs), and connects to the node in -data.
func (cf clientFlags) client(args []string, want int) (*apiClient, []string, error) {
	rest, err := parse(cf.fs, args, want)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range rest {
		if err := checkID(a); err != nil {
			return nil, nil, err
		}
	}
	if *cf.dir == "" {
		return nil, nil, fmt.Errorf("%w: -data is required", errUsage)
	}
	c, err := newClient(*cf.dir)
	return c, rest, err
}

func checkID(s string) error {
	if len(s) != 64 {
		return fmt.Errorf("%w: order id must be 64 hex characters", errUsage)
	}
	return nil
}

// simple makes a command without flags beyond -data.
func simple(summary, method, path string) command {
	return command{summary, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("", stderr)
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		return c.call(ctx, method, path, nil, stdout)
	}}
}

// orderAction makes "coopnode <action> -data DIR [flags] ORDER".
func orderAction(summary, action string, flags func(fs *flag.FlagSet) func() (map[string]any, error)) command {
	return command{summary, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags(action, stderr)
		body := func() (map[string]any, error) { return map[string]any{}, nil }
		if flags != nil {
			body = flags(cf.fs)
		}
		c, rest, err := cf.client(args, 1)
		if err != nil {
			return err
		}
		if err := checkID(rest[0]); err != nil {
			return err
		}
		b, err := body()
		if err != nil {
			return err
		}
		return c.call(ctx, "POST", "/v1/orders/"+rest[0]+"/"+action, b, stdout)
	}}
}

func reasonFlag(fs *flag.FlagSet, def, help string) func() (map[string]any, error) {
	r := fs.String("reason", def, help)
	return func() (map[string]any, error) { return map[string]any{"reason": *r}, nil }
}

var clientCommands = map[string]command{
	"status":      simple("show the running node: peer, key, coop, counters", "GET", "/v1/status"),
	"invite":      simple("print the invite string of the node's cooperative", "GET", "/v1/invite"),
	"coop":        simple("show the cooperative's members and roles", "GET", "/v1/coop"),
	"restaurants": simple("list restaurants with their profiles and menus", "GET", "/v1/restaurants"),
	"found": {"found a cooperative (this node becomes its first admin)", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("found", stderr)
		name := cf.fs.String("name", "", "cooperative name (required)")
		city := cf.fs.String("city", "", "city")
		cur := cf.fs.String("currency", "EUR", "currency")
		tz := cf.fs.String("timezone", "Europe/Paris", "timezone")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		if *name == "" {
			return fmt.Errorf("%w: -name is required", errUsage)
		}
		return c.call(ctx, "POST", "/v1/coop/found", map[string]any{"name": *name, "city": *city, "currency": *cur, "timezone": *tz}, stdout)
	}},
	"join": {"join a cooperative with an invite string", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("join", stderr)
		inv := cf.fs.String("invite", "", "invite string (required)")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		if *inv == "" {
			return fmt.Errorf("%w: -invite is required", errUsage)
		}
		return c.call(ctx, "POST", "/v1/coop/join", map[string]any{"invite": *inv}, stdout)
	}},
	"admit": {"admit a member (admins): -member KEY -roles courier,restaurant", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("admit", stderr)
		m := cf.fs.String("member", "", "the member's public key, hex (required)")
		roles := cf.fs.String("roles", "", "comma-separated: courier, dispatcher, admin, restaurant, shop")
		name := cf.fs.String("name", "", "display name")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		return c.call(ctx, "POST", "/v1/coop/members", map[string]any{"member": *m, "roles": splitList(*roles), "name": *name}, stdout)
	}},
	"profile": fileCommand("publish this restaurant's profile from a JSON file", "PUT", "/v1/catalog/profile"),
	"menu":    fileCommand("publish this restaurant's menu from a JSON file", "PUT", "/v1/catalog/menu"),
	"orders": {"list orders (-open, -mine)", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("orders", stderr)
		open := cf.fs.Bool("open", false, "only unfinished orders")
		mine := cf.fs.Bool("mine", false, "only orders this node is party to")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		q := url.Values{}
		if *open {
			q.Set("open", "1")
		}
		if *mine {
			q.Set("mine", "1")
		}
		return c.call(ctx, "GET", "/v1/orders?"+q.Encode(), nil, stdout)
	}},
	"order": {"show one order's state: coopnode order -data DIR ORDER", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("order", stderr)
		c, rest, err := cf.client(args, 1)
		if err != nil {
			return err
		}
		if err := checkID(rest[0]); err != nil {
			return err
		}
		return c.call(ctx, "GET", "/v1/orders/"+rest[0], nil, stdout)
	}},
	"place": {"place an order from a JSON file (-file) as the customer", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("place", stderr)
		file := cf.fs.String("file", "", "order JSON (SPEC.md §13) (required)")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		body, err := readJSONFile(*file)
		if err != nil {
			return err
		}
		return c.call(ctx, "POST", "/v1/orders", body, stdout)
	}},
	"jobs": {"list jobs near a position: -lat 47.2184 -lon -1.5536 -radius 3000", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("jobs", stderr)
		lat := cf.fs.Float64("lat", 0, "latitude in degrees")
		lon := cf.fs.Float64("lon", 0, "longitude in degrees")
		radius := cf.fs.Int("radius", 0, "radius in metres (0: any)")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		q := url.Values{"lat_e6": {strconv.Itoa(int(*lat * 1e6))}, "lon_e6": {strconv.Itoa(int(*lon * 1e6))}, "radius_m": {strconv.Itoa(*radius)}}
		return c.call(ctx, "GET", "/v1/jobs?"+q.Encode(), nil, stdout)
	}},
	"events": {"stream the node's state changes (Server-Sent Events) until interrupted", func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("events", stderr)
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		req, _ := http.NewRequestWithContext(ctx, "GET", c.base+"/v1/events", nil)
		req.Header.Set("Authorization", "Bearer "+c.token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				fmt.Fprintln(stdout, d)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		return sc.Err()
	}},
	"accept": orderAction("accept an order (restaurant): [-prep MINUTES] ORDER", "accept", func(fs *flag.FlagSet) func() (map[string]any, error) {
		p := fs.Uint("prep", 0, "preparation time in minutes (0: default)")
		return func() (map[string]any, error) { return map[string]any{"prep_minutes": *p}, nil }
	}),
	"refuse": orderAction("refuse an order (restaurant): -reason sold_out|rush_hour|closing ORDER", "refuse", func(fs *flag.FlagSet) func() (map[string]any, error) {
		return reasonFlag(fs, "sold_out", "sold_out, rush_hour or closing")
	}),
	"delay": orderAction("delay an order (restaurant): -minutes N ORDER", "delay", func(fs *flag.FlagSet) func() (map[string]any, error) {
		m := fs.Uint("minutes", 10, "minutes")
		return func() (map[string]any, error) { return map[string]any{"minutes": *m}, nil }
	}),
	"start-preparing": orderAction("mark an order being prepared (restaurant)", "start-preparing", nil),
	"ready":           orderAction("mark an order ready (restaurant)", "ready", nil),
	"fulfil":          orderAction("hand a collection order over (restaurant)", "fulfil", nil),
	"restore":         orderAction("restore a cancelled order (restaurant, dispatcher)", "restore", nil),
	"cancel": orderAction("cancel an order: -reason customer|sold_out|rush_hour|no_show ORDER", "cancel", func(fs *flag.FlagSet) func() (map[string]any, error) {
		return reasonFlag(fs, "customer", "customer, sold_out, rush_hour or no_show")
	}),
	"assign": orderAction("assign a courier (restaurant, dispatcher): -courier KEY ORDER", "assign", func(fs *flag.FlagSet) func() (map[string]any, error) {
		k := fs.String("courier", "", "courier member key, hex")
		return func() (map[string]any, error) { return map[string]any{"courier": *k}, nil }
	}),
	"claim": orderAction("claim an order (courier) and wait for the outcome", "claim", func(fs *flag.FlagSet) func() (map[string]any, error) {
		w := fs.Bool("wait", true, "wait until the claim is confirmed or lost")
		return func() (map[string]any, error) { return map[string]any{"wait": *w}, nil }
	}),
	"unassign": orderAction("release an order you hold (courier)", "unassign", func(fs *flag.FlagSet) func() (map[string]any, error) {
		return reasonFlag(fs, "", "why")
	}),
	"pickup": orderAction("mark an order picked up (courier)", "pickup", nil),
	"deliver": orderAction("mark an order delivered with proof (courier): [-recipient NAME] [-pin PIN] ORDER", "deliver", func(fs *flag.FlagSet) func() (map[string]any, error) {
		rec := fs.String("recipient", "", "who received it")
		note := fs.String("note", "", "a note")
		pin := fs.String("pin", "", "handover PIN told by the customer")
		return func() (map[string]any, error) {
			return map[string]any{"proof": map[string]any{"recipient": *rec, "note": *note, "pin": *pin}}, nil
		}
	}),
	"fail": orderAction("record a failed pickup (-task 1) or dropoff (-task 2): -reason R ORDER", "fail", func(fs *flag.FlagSet) func() (map[string]any, error) {
		task := fs.Uint("task", 2, "1 pickup, 2 dropoff")
		r := fs.String("reason", "", "why (required)")
		return func() (map[string]any, error) {
			if *r == "" {
				return nil, fmt.Errorf("%w: -reason is required", errUsage)
			}
			return map[string]any{"task": *task, "reason": *r}, nil
		}
	}),
}

func fileCommand(summary, method, path string) command {
	return command{summary, func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cf := newClientFlags("", stderr)
		file := cf.fs.String("file", "", "JSON file (required)")
		c, _, err := cf.client(args, 0)
		if err != nil {
			return err
		}
		body, err := readJSONFile(*file)
		if err != nil {
			return err
		}
		return c.call(ctx, method, path, body, stdout)
	}}
}

func readJSONFile(name string) (json.RawMessage, error) {
	if name == "" {
		return nil, fmt.Errorf("%w: -file is required", errUsage)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	if !json.Valid(b) {
		return nil, fmt.Errorf("%s is not valid JSON", name)
	}
	return json.RawMessage(b), nil
}
