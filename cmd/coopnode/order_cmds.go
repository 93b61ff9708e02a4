package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

// The order commands: list, follow and act on orders (SPEC.md §13).
func init() {
	addClient("orders", "list orders", "[-open] [-mine]", 0, func(fs *flagSet) clientAction {
		open := fs.Bool("open", false, "only unfinished orders")
		mine := fs.Bool("mine", false, "only orders this node is party to")
		return func(iv *invocation) error {
			q := url.Values{}
			if *open {
				q.Set("open", "1")
			}
			if *mine {
				q.Set("mine", "1")
			}
			return iv.call("GET", "/v1/orders?"+q.Encode(), nil, fmtOrders)
		}
	})
	addClient("order", "show one order's state", "ORDER", 1, func(fs *flagSet) clientAction {
		return func(iv *invocation) error {
			id, err := iv.order(0)
			if err != nil {
				return err
			}
			return iv.call("GET", "/v1/orders/"+id, nil, fmtOrder)
		}
	})
	fileCommandAs("place", "place an order from a JSON file as the customer (see also checkout)", "PLACE.json", "order JSON (SPEC.md §13) (required)", "POST", "/v1/orders", fmtPlaced)
	addClient("jobs", "list open delivery jobs near a position, nearest first", "-lat DEG -lon DEG [-radius M]", 0, func(fs *flagSet) clientAction {
		where := courierPosition(fs)
		radius := fs.Int("radius", 0, "radius in metres (0: any distance)")
		return func(iv *invocation) error {
			la, lo, err := where()
			if err != nil {
				return err
			}
			if *radius < 0 || *radius > 1_000_000 {
				return usagef("-radius %d: want metres from 0 (any) to 1000000", *radius)
			}
			q := url.Values{"lat_e6": {strconv.FormatInt(la, 10)}, "lon_e6": {strconv.FormatInt(lo, 10)}, "radius_m": {strconv.Itoa(*radius)}}
			return iv.call("GET", "/v1/jobs?"+q.Encode(), nil, fmtJobs)
		}
	})
	addClient("events", "stream the node's state changes (Server-Sent Events) until interrupted", "[-n COUNT]", 0, func(fs *flagSet) clientAction {
		count := fs.Int("n", 0, "stop after this many changes (0: never)")
		return func(iv *invocation) error {
			if *count < 0 {
				return usagef("-n %d: want a count of 0 or more", *count)
			}
			return streamEvents(iv, *count)
		}
	})

	action := func(name, summary, synopsis string, flags func(fs *flagSet) func() (map[string]any, error)) {
		addClient(name, summary, synopsis, 1, func(fs *flagSet) clientAction {
			body := func() (map[string]any, error) { return map[string]any{}, nil }
			if flags != nil {
				body = flags(fs)
			}
			return func(iv *invocation) error {
				if err := checkHexPrefix("order ID", iv.args[0]); err != nil {
					return err
				}
				b, err := body()
				if err != nil {
					return err
				}
				id, err := iv.order(0)
				if err != nil {
					return err
				}
				if c, ok := b["courier"].(string); ok {
					if b["courier"], err = iv.member("courier", c); err != nil {
						return err
					}
				}
				if name == "claim" {
					return claim(iv, id, b)
				}
				err = iv.call("POST", "/v1/orders/"+id+"/"+name, b, fmtOrder)
				if name == "deliver" {
					err = pinMissing(err, b)
				}
				return err
			}
		})
	}
	reason := func(fs *flagSet, def, help string, allowed ...string) func() (map[string]any, error) {
		r := fs.String("reason", def, help)
		return func() (map[string]any, error) {
			if len(allowed) > 0 && !contains(allowed, *r) {
				return nil, usagef("-reason %q: want %s", *r, strings.Join(allowed, ", "))
			}
			return map[string]any{"reason": *r}, nil
		}
	}
	action("accept", "accept an order (restaurant)", "[-prep MINUTES] ORDER", func(fs *flagSet) func() (map[string]any, error) {
		p := fs.Uint("prep", 0, "preparation time in minutes (0: the profile's)")
		return func() (map[string]any, error) {
			if *p > 24*60 {
				return nil, usagef("-prep %d: want minutes from 0 to 1440", *p)
			}
			return map[string]any{"prep_minutes": *p}, nil
		}
	})
	action("refuse", "refuse an order (restaurant)", "[-reason sold_out|rush_hour|closing] ORDER", func(fs *flagSet) func() (map[string]any, error) {
		return reason(fs, crdt.ReasonSoldOut, "sold_out, rush_hour or closing", crdt.ReasonSoldOut, crdt.ReasonRushHour, crdt.ReasonClosing)
	})
	action("delay", "delay an order (restaurant)", "-minutes N ORDER", func(fs *flagSet) func() (map[string]any, error) {
		m := fs.Uint("minutes", 10, "minutes to add to the expected ready time")
		return func() (map[string]any, error) {
			if *m < 1 || *m > crdt.MaxDelayMinutes {
				return nil, usagef("-minutes %d: want 1 to %d", *m, crdt.MaxDelayMinutes)
			}
			return map[string]any{"minutes": *m}, nil
		}
	})
	action("start-preparing", "mark an order being prepared (restaurant)", "ORDER", nil)
	action("ready", "mark an order ready (restaurant)", "ORDER", nil)
	action("fulfil", "hand a collection order over (restaurant)", "ORDER", nil)
	action("restore", "restore a cancelled order (restaurant, dispatcher)", "ORDER", nil)
	action("cancel", "cancel an order", "[-reason customer|sold_out|rush_hour|no_show] ORDER", func(fs *flagSet) func() (map[string]any, error) {
		return reason(fs, crdt.ReasonCustomer, "customer, sold_out, rush_hour or no_show", crdt.ReasonCustomer, crdt.ReasonSoldOut, crdt.ReasonRushHour, crdt.ReasonNoShow)
	})
	action("assign", "assign a courier (restaurant, dispatcher)", "-courier KEY ORDER", func(fs *flagSet) func() (map[string]any, error) {
		k := fs.String("courier", "", "courier's member key, hex or unambiguous prefix (required)")
		return func() (map[string]any, error) {
			if *k == "" {
				return nil, usagef("-courier is required: the courier's member key")
			}
			return map[string]any{"courier": *k}, nil
		}
	})
	action("claim", "claim an order (courier) and wait for the outcome", "[-wait=false] ORDER", func(fs *flagSet) func() (map[string]any, error) {
		w := fs.Bool("wait", true, "wait until the claim is confirmed or lost")
		return func() (map[string]any, error) { return map[string]any{"wait": *w}, nil }
	})
	action("unassign", "release an order you hold (courier)", "[-reason WHY] ORDER", func(fs *flagSet) func() (map[string]any, error) {
		return reason(fs, "", "why")
	})
	action("pickup", "mark an order picked up (courier)", "ORDER", nil)
	action("deliver", "mark an order delivered with proof (courier)", "[-recipient NAME] [-pin PIN] [-photo FILE] [-signature FILE] ORDER", func(fs *flagSet) func() (map[string]any, error) {
		rec := fs.String("recipient", "", "who received it")
		note := fs.String("note", "", "a note")
		pin := fs.String("pin", "", "handover PIN told by the customer (required when the order has one)")
		photo := fs.String("photo", "", "a photo of the handover: its SHA-256 goes into the proof")
		sig := fs.String("signature", "", "an image of the recipient's signature: its SHA-256 goes into the proof")
		return func() (map[string]any, error) {
			proof := map[string]any{"recipient": *rec, "note": *note, "pin": *pin}
			for flagName, file := range map[string]string{"photo": *photo, "signature": *sig} {
				if file == "" {
					continue
				}
				h, err := hashFile(flagName, file)
				if err != nil {
					return nil, err
				}
				proof[flagName+"_hash"] = h
			}
			return map[string]any{"proof": proof}, nil
		}
	})
	action("fail", "record a failed pickup (-task 1) or dropoff (-task 2)", "-reason WHY [-task 1|2] ORDER", func(fs *flagSet) func() (map[string]any, error) {
		task := fs.Uint("task", 2, "1 pickup, 2 dropoff")
		r := fs.String("reason", "", "why (required)")
		note := fs.String("note", "", "a note")
		return func() (map[string]any, error) {
			if *r == "" {
				return nil, usagef("-reason is required: why the task failed")
			}
			if *task != 1 && *task != 2 {
				return nil, usagef("-task %d: want 1 (pickup) or 2 (dropoff)", *task)
			}
			return map[string]any{"task": *task, "reason": *r, "note": *note}, nil
		}
	})
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// position checks degrees and converts them to microdegrees.
// courierPosition adds the required -lat and -lon flags (where the
// courier is) to fs; the function it returns checks them once parsed and
// gives them in microdegrees.
func courierPosition(fs *flagSet) func() (latE6, lonE6 int64, err error) {
	lat := fs.Float64("lat", 0, "latitude in degrees (required)")
	lon := fs.Float64("lon", 0, "longitude in degrees (required)")
	return func() (int64, int64, error) {
		if !fs.isSet("lat") || !fs.isSet("lon") {
			return 0, 0, usagef("-lat and -lon are required: where the courier is, in degrees")
		}
		return position(*lat, *lon)
	}
}

func position(lat, lon float64) (int64, int64, error) {
	if math.IsNaN(lat) || lat < -90 || lat > 90 {
		return 0, 0, usagef("-lat %v: want degrees from -90 to 90", lat)
	}
	if math.IsNaN(lon) || lon < -180 || lon > 180 {
		return 0, 0, usagef("-lon %v: want degrees from -180 to 180", lon)
	}
	return int64(math.Round(lat * 1e6)), int64(math.Round(lon * 1e6)), nil
}

// hashFile returns a file's SHA-256, as the bytes a proof records (JSON
// base64), so the file itself can be kept off the network.
func hashFile(flagName, name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, usagef("-%s: %v", flagName, err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return nil, fmt.Errorf("-%s: %w", flagName, err)
	}
	return h.Sum(nil), nil
}

// streamEvents prints the node's changes as they come: one line each, or
// each change's JSON with -json.
func streamEvents(iv *invocation, count int) error {
	c, err := iv.client()
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(iv.ctx, "GET", c.base+"/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		if iv.ctx.Err() != nil {
			return nil
		}
		return errNoNode(iv.dir)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("events: HTTP %d", resp.StatusCode)
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	seen := 0
	for sc.Scan() {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		if iv.json || iv.field != "" {
			if err := iv.show([]byte(d), nil); err != nil {
				return err
			}
		} else {
			var ch struct {
				Scope, ID, Kind string
				Local           bool
				Order           *struct{ Status string }
			}
			_ = json.Unmarshal([]byte(d), &ch)
			line := fmt.Sprintf("%-8s %s %s", ch.Scope, short(ch.ID), ch.Kind)
			if ch.Order != nil {
				line += " → " + ch.Order.Status
			}
			if ch.Local {
				line += " (this node)"
			}
			fmt.Fprintln(iv.out, line)
		}
		if seen++; count > 0 && seen >= count {
			return nil
		}
	}
	if iv.ctx.Err() != nil {
		return nil
	}
	return sc.Err()
}

// claim claims an order and, when it waited for the outcome, fails if
// another courier won, so a script stops there.
func claim(iv *invocation, id string, body map[string]any) error {
	c, err := iv.client()
	if err != nil {
		return err
	}
	b, err := c.do(iv.ctx, "POST", "/v1/orders/"+id+"/claim", body)
	if err != nil {
		return err
	}
	if err := iv.show(b, fmtClaim); err != nil {
		return err
	}
	var out struct {
		Result *struct {
			Outcome string `json:"outcome"`
			Winner  string `json:"winner"`
		} `json:"result"`
	}
	if json.Unmarshal(b, &out) == nil && out.Result != nil && out.Result.Outcome == "lost" {
		return cliErrorf(node.ErrRefused, "claim lost: courier %s holds order %s", short(out.Result.Winner), short(id))
	}
	return nil
}

// pinMissing rewords the node's pin_mismatch when deliver had no -pin at
// all: the order needs the customer's PIN, none was wrong.
func pinMissing(err error, body map[string]any) error {
	var ae *apiError
	if !errors.As(err, &ae) || ae.Code != "pin_mismatch" {
		return err
	}
	if proof, _ := body["proof"].(map[string]any); proof == nil || proof["pin"] != "" {
		return err
	}
	return &apiError{Status: ae.Status, Code: ae.Code, Msg: "this order needs the customer's handover PIN: pass -pin with the code the customer tells you"}
}
