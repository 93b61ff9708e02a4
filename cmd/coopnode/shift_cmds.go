package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Shift and job board commands (issue 16; SPEC.md §21.1, §21.2).
func init() {
	addClient("shifts", "list the coop's shifts: who is on shift, free seats, swap offers", "", 0, func(fs *flagSet) clientAction {
		return func(iv *invocation) error { return iv.call("GET", "/v1/shifts", nil, fmtShifts) }
	})
	addClient("shift-plan", "publish a shift slot (admins, or the roles the constitution names)",
		"-start TIME -end TIME -needed N [-zone NAME] [-guarantee CENTS] [-note TEXT]", 0, func(fs *flagSet) clientAction {
			start := fs.String("start", "", "start, RFC 3339 (required), e.g. 2026-12-02T11:00:00+01:00")
			end := fs.String("end", "", "end, RFC 3339 (required)")
			needed := fs.Int("needed", 0, "couriers needed, 1..1000 (required)")
			zone := fs.String("zone", "", "a zone of the coop's rules whose pickups the shift covers (default: all)")
			guarantee := fs.Int64("guarantee", 0, "guaranteed pay per hour on shift, in cents")
			note := fs.String("note", "", "a note for the couriers")
			return func(iv *invocation) error {
				s, err1 := time.Parse(time.RFC3339, *start)
				e, err2 := time.Parse(time.RFC3339, *end)
				if err1 != nil || err2 != nil {
					return usagef("-start and -end are required RFC 3339 times such as 2026-12-02T11:00:00+01:00")
				}
				if *needed <= 0 {
					return usagef("-needed is required: how many couriers the shift seats")
				}
				return iv.call("POST", "/v1/shifts", map[string]any{"start": s.UnixMilli(), "end": e.UnixMilli(), "needed": *needed,
					"zone": *zone, "guarantee_cents": *guarantee, "note": *note}, fmtCreated("shift", "couriers take a seat with: coopnode shift-signup"))
			}
		})
	addClient("shift-signup", "take a seat on a shift", "SHIFT", 1, func(fs *flagSet) clientAction {
		return func(iv *invocation) error {
			return iv.shiftPost(0, "signup", map[string]any{}, fmtSaid("you hold a seat on the shift (coopnode shifts lists who is on it)"))
		}
	})
	addClient("shift-drop", "give a seat up (with the notice the constitution requires)", "[-reason TEXT] SHIFT", 1, func(fs *flagSet) clientAction {
		reason := fs.String("reason", "", "why, for the planners")
		return func(iv *invocation) error {
			return iv.shiftPost(0, "drop", map[string]any{"reason": *reason}, fmtSaid("you gave your seat on the shift up"))
		}
	})
	addClient("shift-offer", "offer your seat on a shift to another courier", "[-to MEMBER] [-for SHIFT] SHIFT", 1, func(fs *flagSet) clientAction {
		to := fs.String("to", "", "only this courier (member key or prefix) may accept")
		forShift := fs.String("for", "", "in exchange for the accepter's seat on this shift")
		return func(iv *invocation) error {
			body := map[string]any{}
			if *to != "" {
				k, err := iv.member("-to", *to)
				if err != nil {
					return err
				}
				body["to"] = k
			}
			if *forShift != "" {
				id, err := iv.shiftID(*forShift, false)
				if err != nil {
					return err
				}
				body["for"] = id
			}
			return iv.shiftPost(0, "offer", body, fmtCreated("offer", "a courier takes the seat with: coopnode shift-accept"))
		}
	})
	addClient("shift-accept", "accept a swap offer: take its seat", "OFFER", 1, func(fs *flagSet) clientAction {
		return func(iv *invocation) error {
			id, err := iv.shiftID(iv.args[0], true)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/offers/"+id+"/accept", map[string]any{}, fmtSaid("you took the offered seat on the shift"))
		}
	})
	addClient("board", "the jobs you see now by the job board rule, and why", "-lat-e6 N -lon-e6 N", 0, func(fs *flagSet) clientAction {
		lat := fs.Int64("lat-e6", 0, "your latitude in microdegrees")
		lon := fs.Int64("lon-e6", 0, "your longitude in microdegrees")
		return func(iv *invocation) error {
			return iv.call("GET", fmt.Sprintf("/v1/board?lat_e6=%d&lon_e6=%d", *lat, *lon), nil, fmtBoard)
		}
	})
}

// shiftPost posts to /v1/shifts/ID/action for positional argument i.
func (iv *invocation) shiftPost(i int, action string, body any, human func(io.Writer, []byte) error) error {
	id, err := iv.shiftID(iv.args[i], false)
	if err != nil {
		return err
	}
	return iv.call("POST", "/v1/shifts/"+id+"/"+action, body, human)
}

// shiftID resolves a shift (or, with offer, a swap offer) ID or prefix
// against the node's shifts.
func (iv *invocation) shiftID(s string, offer bool) (string, error) {
	what := "shift ID"
	if offer {
		what = "offer ID"
	}
	if err := checkHexPrefix(what, s); err != nil {
		return "", err
	}
	if len(s) == 64 {
		return s, nil
	}
	c, err := iv.client()
	if err != nil {
		return "", err
	}
	b, err := c.do(iv.ctx, "GET", "/v1/shifts", nil)
	if err != nil {
		return "", err
	}
	var shifts []struct {
		ID     string `json:"id"`
		Offers []struct {
			Event string `json:"event"`
		} `json:"offers"`
	}
	if err := json.Unmarshal(b, &shifts); err != nil {
		return "", fmt.Errorf("the node's shifts are not JSON: %v", err)
	}
	var all []string
	for _, sh := range shifts {
		if !offer {
			all = append(all, sh.ID)
		}
		for _, o := range sh.Offers {
			if offer {
				all = append(all, o.Event)
			}
		}
	}
	return pickPrefix(strings.TrimSuffix(what, " ID"), s, all)
}

// fmtSaid prints msg once the node has done the action.
func fmtSaid(msg string) func(io.Writer, []byte) error {
	return func(w io.Writer, _ []byte) error {
		_, err := fmt.Fprintln(w, msg)
		return err
	}
}

// fmtCreated prints the new shift's or offer's short ID and the command
// that takes it up (the full ID: -field id).
func fmtCreated(what, next string) func(io.Writer, []byte) error {
	return func(w io.Writer, b []byte) error {
		m, err := asObj(b)
		if err != nil {
			return err
		}
		id := short(str(m, "id"))
		_, err = fmt.Fprintf(w, "%s %s\n%s %s\n", what, id, next, id)
		return err
	}
}

func fmtShifts(w io.Writer, b []byte) error {
	l, err := asList(b)
	if err != nil {
		return err
	}
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "no shifts")
		return err
	}
	for _, s := range l {
		p := sub(s, "plan")
		zone := str(p, "zone")
		if zone == "" {
			zone = "all pickups"
		}
		seats, _ := s["seats"].([]any)
		fmt.Fprintf(w, "shift %s  %s to %s  %s  %d of %d seats", short(str(s, "id")), when(num(p, "start")), when(num(p, "end")),
			zone, len(seats), int(num(p, "needed")))
		if g := num(p, "guarantee_cents"); g > 0 {
			fmt.Fprintf(w, "  guaranteed %.2f/h", g/100)
		}
		if n := str(p, "note"); n != "" {
			fmt.Fprintf(w, "  (%s)", oneLine(n))
		}
		fmt.Fprintln(w)
		for _, x := range seats {
			if st, ok := x.(obj); ok {
				fmt.Fprintf(w, "  on shift  %s since %s\n", short(str(st, "courier")), when(num(st, "since")))
			}
		}
		offers, _ := s["offers"].([]any)
		for _, x := range offers {
			if o, ok := x.(obj); ok && str(o, "status") == "open" {
				to := "anyone"
				if k := str(o, "to"); k != "" {
					to = short(k)
				}
				fmt.Fprintf(w, "  offer %s  from %s to %s\n", short(str(o, "event")), short(str(o, "from")), to)
			}
		}
	}
	return nil
}

func fmtBoard(w io.Writer, b []byte) error {
	l, err := asList(b)
	if err != nil {
		return err
	}
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "no jobs")
		return err
	}
	for _, o := range l {
		state := "visible now"
		if v, _ := o["visible"].(bool); !v {
			state = "visible at " + when(num(o, "visible_at"))
		}
		fmt.Fprintf(w, "job %s  %d m  %s\n", short(str(o, "order")), int(num(o, "distance_m")), state)
		why, _ := o["why"].([]any)
		for _, x := range why {
			if s, ok := x.(string); ok {
				fmt.Fprintf(w, "  - %s\n", s)
			}
		}
	}
	return nil
}
