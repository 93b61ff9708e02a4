package main

import (
	"bytes"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestReadableOutput: client commands print text by default (role names,
// task statuses in words, local times, amounts) and the node's JSON with
// -json or one field with -field (issue 12.8).
func TestReadableOutput(t *testing.T) {
	placed := time.Date(2026, 12, 1, 19, 30, 0, 0, time.Local)
	answers := map[string]string{
		"/v1/coop":                          `{"id": "` + orderC + `", "name": "Vélo Coop", "city": "Nantes", "members": {"` + memberM + `": {"key": "` + memberM + `", "name": "Zoé", "roles": 5, "admitted_at": ` + ms(placed) + `}, "` + memberN + `": {"key": "` + memberN + `", "name": "Ali", "roles": ["restaurant", "shop"]}}}`,
		"/v1/orders":                        `[{"id": "` + orderC + `", "status": "accepted", "placed_at": ` + ms(placed) + `, "restaurant": "` + memberR + `", "customer": "` + memberN + `", "pickup": {"status": "TODO"}}]`,
		"/v1/orders/" + orderC:              `{"id": "` + orderC + `", "status": "accepted", "placed_at": ` + ms(placed) + `, "restaurant": "` + memberR + `", "customer": "` + memberN + `", "holder": "` + memberM + `", "place": {"fulfilment": 1}, "pickup": {"status": "TODO"}, "dropoff": {"status": "DOING", "started_at": ` + ms(placed) + `}}`,
		"/v1/payments/account":              `{"set": true, "provider": "stripe"}`,
		"/v1/orders/" + orderC + "/payment": `{"method": "cash", "state": "paid", "amount_cents": 2250}`,
		"/v1/shifts":                        `{"id": "` + orderC + `"}`,
		"/v1/shifts/" + orderC + "/signup":  `{"ok": true}`,
		"/v1/peers":                         `[{"peer_id": "12D3KooWA", "key": "` + memberM + `", "member": true, "name": "Zoé", "role": "courier", "link": "direct", "transport": "tcp", "rtt_ms": 1.5, "addr": "/ip4/127.0.0.1/tcp/4001"}, {"peer_id": "12D3KooWB", "key": "` + memberN + `", "member": false, "role": "", "link": "relayed", "transport": "quic", "rtt_ms": 0, "addr": "/ip4/203.0.113.7/udp/4001/quic-v1/p2p-circuit"}]`,
		"/v1/quote":                         `{"fulfilment": 1, "lines": [{"name": "Falafel wrap", "quantity": 2, "option_names": ["Harissa"], "total_cents": 1400}], "items_cents": 1400, "delivery_cents": 350, "tip_cents": 200, "total_cents": 1950, "tax_cents": 127}`,
	}
	dir := fakeData(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if a, ok := answers[r.URL.Path]; ok {
			w.Write([]byte(a))
			return
		}
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error": "task.deliver refused: the PIN does not match", "code": "pin_mismatch", "field": "proof.pin"}`))
	}))
	cart := t.TempDir() + "/cart.json"
	sk := t.TempDir() + "/sk.txt"
	must(t, writeFile(sk, "sk_test_1\n"))
	must(t, writeFile(cart, `{"items": [{"product": "wrap", "quantity": 2}], "restaurant": "`+memberR+`"}`))
	for _, tc := range []struct {
		args      []string
		want, not []string
	}{
		{[]string{"coop"}, []string{"Vélo Coop (Nantes)", "id: " + orderC[:8] + "\n", "11110000", "Zoé", "courier,admin", placed.Format("2006-01-02 15:04:05"), "restaurant,shop"}, []string{`"roles"`, memberM, orderC}},
		{[]string{"orders"}, []string{"5eed0001", "accepted", placed.Format("2006-01-02 15:04:05")}, []string{"placed_at", "TODO"}},
		// the order's own ID in full; its parties' keys in short form
		{[]string{"order", "5eed"}, []string{"order      " + orderC, "kind       delivery", "pickup     to do", "dropoff    in progress since " + placed.Format("2006-01-02 15:04:05"),
			"restaurant " + memberR[:8] + "\n", "customer   " + memberN[:8] + "\n", "courier    " + memberM[:8] + " (not yet confirmed)"}, []string{"TODO", "DOING", ms(placed), memberR, memberN, memberM}},
		{[]string{"quote", "-file", cart}, []string{"2 × Falafel wrap (Harissa)  14.00", "delivery   3.50", "total  19.50"}, []string{"_cents"}},
		// peers by member name and role; "not a member", never "unknown"
		{[]string{"peers"}, []string{"Zoé (courier)", "not a member", "relayed", "1.5 ms"}, []string{"unknown", memberM}},
		// words, short IDs and amounts, not the JSON answer
		{[]string{"payments-account", "-key-file", sk}, []string{"stripe account is set"}, []string{"set:", "provider:"}},
		{[]string{"payment", "-state", "paid", orderC}, []string{"cash, paid, 22.50"}, []string{"2250"}},
		{[]string{"shift-plan", "-start", "2026-12-02T11:00:00Z", "-end", "2026-12-02T13:00:00Z", "-needed", "2"},
			[]string{"shift " + orderC[:8] + "\n", "coopnode shift-signup " + orderC[:8]}, []string{orderC}},
		{[]string{"shift-signup", orderC}, []string{"you hold a seat on the shift"}, []string{"done", "ok"}},
		{[]string{"coop", "-json"}, []string{`"roles": 5`, `"admitted_at": ` + ms(placed)}, nil},
		{[]string{"order", orderC[:8], "--json"}, []string{`"status": "TODO"`}, nil},
		{[]string{"order", orderC[:8], "-field", "dropoff.status"}, []string{"DOING\n"}, []string{"{"}},
		{[]string{"quote", "-file", cart, "-field", "total_cents"}, []string{"1950\n"}, nil},
	} {
		var out, errb bytes.Buffer
		args := append([]string{tc.args[0], "-data", dir}, tc.args[1:]...)
		if code := realMain(args, &out, &errb); code != 0 {
			t.Errorf("%v: exit %d: %s", tc.args, code, errb.String())
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", tc.args, w, out.String())
			}
		}
		for _, n := range tc.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("%v: output has %q:\n%s", tc.args, n, out.String())
			}
		}
	}
	// a refusal reads "code: message" on one line, exit 1
	var out, errb bytes.Buffer
	code := realMain([]string{"deliver", "-data", dir, "-pin", "1111", "5eed"}, &out, &errb)
	if want := "coopnode deliver: pin_mismatch: proof.pin: task.deliver refused: the PIN does not match\n"; code != 1 || errb.String() != want {
		t.Errorf("refusal: exit %d, %q; want 1, %q", code, errb.String(), want)
	}
}

func ms(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func writeFile(name, content string) error { return os.WriteFile(name, []byte(content), 0o600) }

// TestEventsStream: events prints one readable line per change, or each
// change's JSON with -json, and -n stops it.
func TestEventsStream(t *testing.T) {
	dir := fakeData(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for _, k := range []string{"order.accept", "task.pickup", "task.deliver"} {
			w.Write([]byte("event: order\ndata: {\"scope\": \"order\", \"id\": \"" + orderC + "\", \"kind\": \"" + k + "\", \"local\": true, \"order\": {\"status\": \"accepted\"}}\n\n"))
		}
		w.(http.Flusher).Flush()
		<-r.Context().Done() // a stream stays open
	}))
	var out, errb bytes.Buffer
	if code := realMain([]string{"events", "-data", dir, "-n", "2"}, &out, &errb); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if want := "order    5eed0001 order.accept → accepted (this node)\norder    5eed0001 task.pickup → accepted (this node)\n"; out.String() != want {
		t.Errorf("events: %q, want %q", out.String(), want)
	}
	out.Reset()
	if code := realMain([]string{"events", "-data", dir, "-n", "1", "-field", "kind"}, &out, &errb); code != 0 || out.String() != "order.accept\n" {
		t.Errorf("events -field kind: exit %d, %q", code, out.String())
	}
}
