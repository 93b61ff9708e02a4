package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/coopnode/coopnode/crdt"
)

// Readable output of the client commands. The node answers JSON; these
// turn it into text for people: role names instead of bitmasks, local
// times instead of epoch milliseconds, amounts in currency units, short
// IDs (which every command accepts back). -json gives the JSON itself.

type obj = map[string]any

func decodeAny(b []byte) (any, error) {
	var v any
	err := json.Unmarshal(b, &v)
	return v, err
}

func str(m obj, k string) string {
	s, _ := m[k].(string)
	return s
}

func num(m obj, k string) float64 {
	f, _ := m[k].(float64)
	return f
}

func sub(m obj, k string) obj {
	o, _ := m[k].(obj)
	return o
}

// short is the 8-character prefix that commands accept in place of an ID.
func short(id string) string {
	if len(id) > 8 {
		return id[:8]
	}
	if id == "" {
		return "-"
	}
	return id
}

func isZeroKey(k string) bool { return strings.Trim(k, "0") == "" }

// when formats epoch milliseconds as local time.
func when(ms float64) string {
	if ms == 0 {
		return "-"
	}
	return time.UnixMilli(int64(ms)).Format("2006-01-02 15:04:05")
}

// money formats integer cents.
func money(cents float64) string {
	c := int64(cents)
	sign := ""
	if c < 0 {
		sign, c = "-", -c
	}
	return fmt.Sprintf("%s%d.%02d", sign, c/100, c%100)
}

// roleNames reads roles as names (a list) or an older bit set.
func roleNames(v any) string {
	if l, ok := v.([]any); ok {
		if len(l) == 0 {
			return "none"
		}
		return strings.ReplaceAll(joinAny(l), ", ", ",")
	}
	f, ok := v.(float64)
	if !ok {
		return fmt.Sprint(v)
	}
	names := crdt.Roles(uint32(f)).RoleNames()
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ",")
}

// task formats a task status ("TODO" in JSON) for reading.
func task(m obj) string {
	s := strings.ToLower(str(m, "status"))
	switch s {
	case "", "none":
		return "-"
	case "todo":
		return "to do"
	case "doing":
		return "in progress"
	}
	return s
}

// fulfilment reads the JSON form, names ("delivery") or an older number.
func fulfilment(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return crdt.Fulfilment(uint8(x)).Names()
	}
	return "-"
}

func table(w io.Writer, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// asObj decodes an answer that should be an object.
func asObj(b []byte) (obj, error) {
	v, err := decodeAny(b)
	if err != nil {
		return nil, fmt.Errorf("the node's answer is not JSON: %v", err)
	}
	m, ok := v.(obj)
	if !ok {
		return nil, fmt.Errorf("the node's answer is not a JSON object")
	}
	return m, nil
}

func asList(b []byte) ([]obj, error) {
	var l []obj
	if err := json.Unmarshal(b, &l); err != nil {
		return nil, fmt.Errorf("the node's answer is not a JSON list of objects")
	}
	return l, nil
}

func fmtDone(w io.Writer, b []byte) error {
	_, err := fmt.Fprintln(w, "done")
	return err
}

func fmtStatus(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	coop := str(m, "coop")
	if isZeroKey(coop) {
		coop = "none yet (found one, or run with -invite)"
	}
	fmt.Fprintf(w, "role:    %s\nkey:     %s\n", str(m, "role"), str(m, "key"))
	if mk := str(m, "member"); mk != "" && mk != str(m, "key") {
		fmt.Fprintf(w, "member:  %s\n", mk)
	}
	fmt.Fprintf(w, "peer:    %s\ncoop:    %s\npeers:   %v connected\n", str(m, "peer_id"), coop, num(m, "peers"))
	if as, _ := m["addrs"].([]any); len(as) > 0 {
		for _, a := range as {
			fmt.Fprintf(w, "addr:    %v\n", a)
		}
	}
	if cs, _ := m["coops"].([]any); len(cs) > 1 { // a folder that follows several coops
		for _, x := range cs[1:] {
			c, _ := x.(map[string]any)
			fmt.Fprintf(w, "also:    coop %s (%s), key %s, %v peers\n", str(c, "coop"), str(c, "name"), str(c, "key"), num(c, "peers"))
		}
	}
	st := sub(m, "stats")
	_, err = fmt.Fprintf(w, "events:  %v stored, %v pending; published %v; sync sessions %v\n",
		num(st, "events_stored"), num(st, "events_pending"), num(st, "published"), num(st, "sync_sessions"))
	return err
}

func fmtInvite(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(w, str(m, "invite"))
	return err
}

func fmtFound(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "founded cooperative %s\ninvite: %s\n", short(str(m, "coop")), str(m, "invite"))
	return err
}

func fmtCoop(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	head := str(m, "name")
	if c := str(m, "city"); c != "" {
		head += " (" + c + ")"
	}
	for _, k := range []string{"currency", "timezone"} {
		if v := str(m, k); v != "" {
			head += ", " + v
		}
	}
	fmt.Fprintln(w, head)
	fmt.Fprintf(w, "id: %s\n\n", short(str(m, "id")))
	members := sub(m, "members")
	keys := make([]string, 0, len(members))
	for k := range members {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var rows [][]string
	for _, k := range keys {
		mm, _ := members[k].(obj)
		state := "active"
		if r := num(mm, "revoked_at"); r != 0 {
			state = "revoked " + when(r)
		}
		devs := ""
		if d := sub(mm, "devices"); len(d) > 0 {
			devs = fmt.Sprintf("%d", len(d))
		}
		rows = append(rows, []string{short(k), str(mm, "name"), roleNames(mm["roles"]), when(num(mm, "admitted_at")), state, devs})
	}
	return table(w, "MEMBER\tNAME\tROLES\tADMITTED\tSTATE\tDEVICES", rows)
}

func fmtRestaurants(w io.Writer, b []byte) error {
	l, err := asList(b)
	if err != nil {
		return err
	}
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "no restaurants yet")
		return err
	}
	var rows [][]string
	for _, r := range l {
		p := sub(r, "profile")
		open := "no profile"
		if p != nil {
			open = "closed"
			if p["enabled"] == true {
				open = "enabled"
			}
		}
		items := 0
		for _, s := range listOf(sub(r, "menu"), "sections") {
			items += len(listOf(s, "products"))
		}
		rows = append(rows, []string{short(str(r, "key")), str(p, "name"), open, fmt.Sprint(items), str(p, "address")})
	}
	return table(w, "KEY\tNAME\tORDERING\tITEMS\tADDRESS", rows)
}

func listOf(m obj, k string) []obj {
	var out []obj
	l, _ := m[k].([]any)
	for _, x := range l {
		if o, ok := x.(obj); ok {
			out = append(out, o)
		}
	}
	return out
}

func fmtOrders(w io.Writer, b []byte) error {
	l, err := asList(b)
	if err != nil {
		return err
	}
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "no orders")
		return err
	}
	var rows [][]string
	for _, o := range l {
		rows = append(rows, orderRow(o))
	}
	return table(w, "ORDER\tSTATUS\tPLACED\tRESTAURANT\tCUSTOMER\tCOURIER", rows)
}

func orderRow(o obj) []string {
	holder := "-"
	if h := str(o, "holder"); h != "" && !isZeroKey(h) {
		holder = short(h)
		if o["holder_confirmed"] != true {
			holder += " (unconfirmed)"
		}
	}
	return []string{short(str(o, "id")), str(o, "status"), when(num(o, "placed_at")), short(str(o, "restaurant")), short(str(o, "customer")), holder}
}

func fmtOrder(w io.Writer, b []byte) error {
	o, err := asObj(b)
	if err != nil {
		return err
	}
	place := sub(o, "place")
	fmt.Fprintf(w, "order      %s\nstatus     %s", str(o, "id"), str(o, "status"))
	if r := str(o, "reason"); r != "" {
		fmt.Fprintf(w, " (%s)", r)
	}
	fmt.Fprintf(w, "\nkind       %s\n", fulfilment(place["fulfilment"]))
	fmt.Fprintf(w, "restaurant %s\ncustomer   %s\nplaced     %s\n", short(str(o, "restaurant")), short(str(o, "customer")), when(num(o, "placed_at")))
	if a := num(o, "accepted_at"); a != 0 {
		fmt.Fprintf(w, "accepted   %s (prep %v min", when(a), num(o, "prep_minutes"))
		if d := num(o, "delay_minutes"); d != 0 {
			fmt.Fprintf(w, ", delayed %v min", d)
		}
		fmt.Fprintln(w, ")")
	}
	if r := num(o, "ready_at"); r != 0 {
		fmt.Fprintf(w, "ready      %s\n", when(r))
	}
	if h := str(o, "holder"); h != "" && !isZeroKey(h) {
		conf := "not yet confirmed"
		if o["holder_confirmed"] == true {
			conf = "confirmed"
		}
		fmt.Fprintf(w, "courier    %s (%s)\n", short(h), conf)
	}
	fmt.Fprintf(w, "pickup     %s\ndropoff    %s\n", taskLine(sub(o, "pickup")), taskLine(sub(o, "dropoff")))
	if p := sub(o, "proof"); p != nil {
		var parts []string
		for _, k := range []string{"recipient", "note"} {
			if v := str(p, k); v != "" {
				parts = append(parts, k+" "+v)
			}
		}
		if str(p, "pin") != "" {
			parts = append(parts, "PIN given")
		}
		for _, k := range []string{"photo_hash", "signature_hash"} {
			if str(p, k) != "" {
				parts = append(parts, strings.TrimSuffix(k, "_hash"))
			}
		}
		fmt.Fprintf(w, "proof      %s\n", strings.Join(parts, ", "))
	}
	if r := sub(o, "rating"); r != nil {
		fmt.Fprintf(w, "rating     restaurant %v★, courier %v★ %s\n", num(r, "restaurant_stars"), num(r, "courier_stars"), str(r, "comment"))
	}
	for _, it := range listOf(place, "items") {
		fmt.Fprintf(w, "item       %v × %s\n", num(it, "quantity"), str(it, "product"))
	}
	return nil
}

func taskLine(t obj) string {
	s := task(t)
	if d := num(t, "done_at"); d != 0 {
		s += " at " + when(d)
	} else if st := num(t, "started_at"); st != 0 {
		s += " since " + when(st)
	}
	if r := str(t, "fail_reason"); r != "" {
		s += " (" + r + ")"
	}
	return s
}

func fmtJobs(w io.Writer, b []byte) error {
	l, err := asList(b)
	if err != nil {
		return err
	}
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "no open jobs within reach")
		return err
	}
	var rows [][]string
	for _, j := range l {
		o := sub(j, "order")
		rows = append(rows, []string{short(str(o, "id")), fmt.Sprintf("%.0f m", num(j, "distance_m")), str(o, "status"), short(str(o, "restaurant")), when(num(o, "placed_at"))})
	}
	return table(w, "ORDER\tDISTANCE\tSTATUS\tRESTAURANT\tPLACED", rows)
}

func fmtClaim(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	r := sub(m, "result")
	if r == nil {
		_, err := fmt.Fprintf(w, "claim %s sent; not waiting for the outcome\n", short(str(m, "claim")))
		return err
	}
	switch out := str(r, "outcome"); {
	case r["won"] == true && r["confirmed"] == true:
		fmt.Fprintln(w, "won: you hold the order, confirmed")
	case r["won"] == true:
		fmt.Fprintln(w, "won provisionally: not yet confirmed by the restaurant")
	case out == "lost":
		fmt.Fprintf(w, "lost: courier %s holds the order\n", short(str(r, "winner")))
	default:
		fmt.Fprintf(w, "%s\n", out)
	}
	if n := str(m, "note"); n != "" {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func fmtQuote(w io.Writer, b []byte) error {
	q, err := asObj(b)
	if err != nil {
		return err
	}
	return writeQuote(w, q)
}

func writeQuote(w io.Writer, q obj) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	for _, l := range listOf(q, "lines") {
		name := str(l, "name")
		if on, _ := l["option_names"].([]any); len(on) > 0 {
			name += fmt.Sprintf(" (%s)", joinAny(on))
		}
		fmt.Fprintf(tw, "%v × %s\t%s\t\n", num(l, "quantity"), name, money(num(l, "total_cents")))
	}
	fmt.Fprintf(tw, "items\t%s\t\n", money(num(q, "items_cents")))
	if fulfilment(q["fulfilment"]) == crdt.FulfilDelivery.Names() {
		fmt.Fprintf(tw, "delivery\t%s\t\n", money(num(q, "delivery_cents")))
	}
	if t := num(q, "tip_cents"); t != 0 {
		fmt.Fprintf(tw, "tip\t%s\t\n", money(t))
	}
	fmt.Fprintf(tw, "total\t%s\t\n", money(num(q, "total_cents")))
	fmt.Fprintf(tw, "of which taxes\t%s\t\n", money(num(q, "tax_cents")))
	if err := tw.Flush(); err != nil {
		return err
	}
	if d := sub(q, "delivery"); str(d, "summary") != "" {
		fmt.Fprintf(w, "delivery fee: %s\n", str(d, "summary"))
	}
	if r := str(q, "ready_by"); r != "" {
		if t, err := time.Parse(time.RFC3339Nano, r); err == nil && !t.IsZero() {
			fmt.Fprintf(w, "ready by %s\n", t.Local().Format("15:04"))
		}
	}
	return nil
}

func joinAny(l []any) string {
	s := make([]string, len(l))
	for i, x := range l {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, ", ")
}

func fmtPlaced(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "placed order %s\n", short(str(m, "id")))
	if q := sub(m, "quote"); q != nil {
		return writeQuote(w, q)
	}
	return nil
}

// fmtGeneric prints any answer as indented "name: value" lines, with the
// same readable conversions as the specific formats.
func fmtGeneric(w io.Writer, b []byte) error {
	v, err := decodeAny(b)
	if err != nil {
		_, err := w.Write(b)
		return err
	}
	writeGeneric(w, "", "", v)
	return nil
}

func writeGeneric(w io.Writer, indent, key string, v any) {
	label := ""
	if key != "" {
		label = key + ": "
	}
	switch x := v.(type) {
	case obj:
		if key != "" {
			fmt.Fprintf(w, "%s%s:\n", indent, key)
			indent += "  "
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			writeGeneric(w, indent, k, x[k])
		}
	case []any:
		if len(x) == 0 {
			fmt.Fprintf(w, "%s%snone\n", indent, label)
			return
		}
		if key != "" {
			fmt.Fprintf(w, "%s%s:\n", indent, key)
		}
		for _, e := range x {
			if _, ok := e.(obj); ok {
				fmt.Fprintf(w, "%s  -\n", indent)
				writeGeneric(w, indent+"    ", "", e)
			} else {
				fmt.Fprintf(w, "%s  - %v\n", indent, e)
			}
		}
	case float64:
		switch {
		case strings.HasSuffix(key, "_cents"):
			fmt.Fprintf(w, "%s%s: %s\n", indent, strings.TrimSuffix(key, "_cents"), money(x))
		case key == "at" || key == "eta" || key == "wall" || strings.HasSuffix(key, "_at"):
			fmt.Fprintf(w, "%s%s%s\n", indent, label, when(x))
		case key == "roles":
			fmt.Fprintf(w, "%s%s%s\n", indent, label, roleNames(x))
		case strings.HasSuffix(key, "_e6"):
			fmt.Fprintf(w, "%s%s: %.6f\n", indent, strings.TrimSuffix(key, "_e6"), x/1e6)
		default:
			fmt.Fprintf(w, "%s%s%v\n", indent, label, x)
		}
	case nil:
		fmt.Fprintf(w, "%s%s-\n", indent, label)
	default:
		fmt.Fprintf(w, "%s%s%v\n", indent, label, x)
	}
}

// fmtPeers prints GET /v1/peers: one line a connected peer.
func fmtPeers(w io.Writer, b []byte) error {
	l, err := asList(b)
	if err != nil {
		return err
	}
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "no peers connected")
		return err
	}
	var rows [][]string
	for _, p := range l {
		rtt := "-"
		if ms := num(p, "rtt_ms"); ms > 0 {
			rtt = fmt.Sprintf("%.1f ms", ms)
		}
		rows = append(rows, []string{short(str(p, "key")), peerWho(p), str(p, "link"), str(p, "transport"), rtt, str(p, "addr")})
	}
	return table(w, "KEY\tMEMBER\tLINK\tTRANSPORT\tRTT\tADDRESS", rows)
}

// peerWho names a listed peer in the coop: "Ana (courier)", "(courier)"
// for a member without a name, "not a member" for a peer whose key is no
// member's.
func peerWho(p map[string]any) string {
	if m, _ := p["member"].(bool); !m {
		return "not a member"
	}
	role := str(p, "role")
	if role == "" {
		role = "no role"
	}
	if name := str(p, "name"); name != "" {
		return name + " (" + role + ")"
	}
	return "(" + role + ")"
}
