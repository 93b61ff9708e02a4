package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/coopnode/coopnode/node"
)

// fakeNode is a stand-in for a running node's API: it knows a few orders
// and members (for ID prefixes) and records every request that would
// change something.
type fakeNode struct {
	mu      sync.Mutex
	changes []string
}

const (
	orderA  = "abcd0001" + "00000000000000000000000000000000000000000000000000000000"
	orderB  = "abcd0002" + "00000000000000000000000000000000000000000000000000000000"
	orderC  = "5eed0001" + "00000000000000000000000000000000000000000000000000000000"
	memberM = "11110000" + "00000000000000000000000000000000000000000000000000000000"
	memberN = "11110001" + "00000000000000000000000000000000000000000000000000000000"
	memberR = "4e570000" + "00000000000000000000000000000000000000000000000000000000"
)

func (f *fakeNode) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.Method != "GET" {
		f.mu.Lock()
		f.changes = append(f.changes, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
	}
	switch r.URL.Path {
	case "/v1/orders":
		json.NewEncoder(w).Encode([]map[string]any{{"id": orderA, "status": "placed"}, {"id": orderB, "status": "accepted"}, {"id": orderC, "status": "ready"}})
	case "/v1/coop":
		json.NewEncoder(w).Encode(map[string]any{"id": orderC, "name": "Test", "members": map[string]any{
			memberM: map[string]any{"key": memberM, "roles": 1}, memberN: map[string]any{"key": memberN, "roles": 4}, memberR: map[string]any{"key": memberR, "roles": 8}}})
	default:
		w.Write([]byte(`{"ok": true}`))
	}
}

func (f *fakeNode) changed() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.changes...)
}

// fakeData makes a data folder whose api.addr points at h.
func fakeData(t *testing.T, h http.Handler) string {
	t.Helper()
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, keyFile), []byte(hex.EncodeToString(make([]byte, 32))+"\n"), 0o600))
	cfg, _ := json.Marshal(config{Role: "customer", Token: "tok", API: "127.0.0.1:0"})
	must(t, os.WriteFile(filepath.Join(dir, configFile), cfg, 0o600))
	if h != nil {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		must(t, os.WriteFile(filepath.Join(dir, apiFile), []byte(strings.TrimPrefix(srv.URL, "http://")+"\n"), 0o600))
	}
	return dir
}

// TestEveryCommandRefusesBadInput: every command, given bad flags, bad
// positional arguments or bad files, exits non-zero with one line on
// stderr that names what to fix, prints nothing on stdout, does not panic,
// and sends the node nothing that would change it (issue 12.8).
func TestEveryCommandRefusesBadInput(t *testing.T) {
	fake := &fakeNode{}
	dir := fakeData(t, fake)
	files := t.TempDir()
	file := func(name, content string) string {
		p := filepath.Join(files, name)
		must(t, os.WriteFile(p, []byte(content), 0o600))
		return p
	}
	badFiles := []struct{ path, want string }{
		{file("null.json", "null"), "must hold a JSON object"},
		{file("list.json", "[1, 2]"), "must hold a JSON object"},
		{file("string.json", `"menu"`), "must hold a JSON object"},
		{file("number.json", "7"), "must hold a JSON object"},
		{file("broken.json", `{"name": `), "not valid JSON"},
		{file("empty.json", ""), "not valid JSON"},
		{file("two.json", "{} {}"), "more than one JSON value"},
		{filepath.Join(files, "missing.json"), "no such file"},
		{"", "-file is required"},
	}
	cartNull := file("cart-null.json", `{"cart": null}`)
	cartList := file("cart-list.json", `{"cart": [1]}`)
	noResto := file("cart.json", `{"items": [{"product": "wrap", "quantity": 1}]}`)
	noCart := file("nocart.json", `{"items": []}`)
	photo := filepath.Join(files, "no-photo.jpg")

	type tc struct {
		args []string
		want string
	}
	var cases []tc
	add := func(want string, args ...string) { cases = append(cases, tc{args, want}) }
	covered := map[string]bool{}
	names := make([]string, 0)
	for name := range allCommands() {
		names = append(names, name)
	}
	sort.Strings(names)
	// generic cases for every client command
	for _, name := range names {
		c := allCommands()[name]
		if _, ok := clientCommands[name]; !ok {
			continue
		}
		covered[name] = true
		npos := takesOrder(c)
		nid := takesArg(c, "SHIFT", "OFFER")
		add("-data is required", append([]string{name}, strings.Fields(strings.Repeat(orderC+" ", npos+nid))...)...)
		add("flag provided but not defined: -bogus", name, "-data", dir, "-bogus")
		add("flag needs an argument: -data", name, "-data")
		add("-field", name, "-data", dir, "-field")
		if nid > 0 { // a shift or swap offer ID (SPEC.md §20.1)
			add("missing argument: coopnode "+name+" -data DIR", name, "-data", dir)
			add("want hex", name, "-data", dir, "not-hex")
			add("too short", name, "-data", dir, "abc")
			continue
		}
		if npos == 0 {
			add("unexpected argument \"extra\"", name, "-data", dir, "extra")
			continue
		}
		// the flags each command needs besides the order
		need := map[string][]string{"assign": {"-courier", memberM}, "fail": {"-reason", "flat tyre"}, "rate": {"-courier", "5"}, "payment": {"-state", "paid"},
			"feedback": {"-of", "courier", "-stars", "4"}, "incident": {"-category", "late"}}[name]
		with := func(more ...string) []string { return append(append([]string{name, "-data", dir}, need...), more...) }
		add("missing argument: coopnode "+name+" -data DIR", with()...)
		add("too many arguments", with(orderA, orderC)...)
		add("want hex", with("not-hex")...)
		add("too short", with("abc")...)
		add("want hex", with(strings.Repeat("a", 65))...)
		add("abcd is ambiguous: 2 orders", with("abcd")...)
		add("no order starting with ffff", with("ffff")...)
	}
	for _, f := range []string{"profile", "menu", "rules", "parcel", "place", "quote", "checkout"} {
		for _, bf := range badFiles {
			args := []string{f, "-data", dir, "-file", bf.path}
			if f == "quote" || f == "checkout" {
				args = append(args, "-restaurant", "4e57")
			}
			add(bf.want, args...)
		}
	}
	wrapped := file("checkout.json", `{"cart": {"items": [{"product": "wrap", "quantity": 1}]}, "pin": "1234"}`)
	for _, name := range []string{"quote", "checkout"} {
		add("\"cart\" must be a JSON object", name, "-data", dir, "-file", cartNull, "-restaurant", "4e57")
		add("\"cart\" must be a JSON object", name, "-data", dir, "-file", cartList)
		add("-restaurant \"Chez Mia\": want hex", name, "-data", dir, "-file", wrapped, "-restaurant", "Chez Mia")
		add("no member starting with 9999", name, "-data", dir, "-file", wrapped, "-restaurant", "9999")
		add("1111 is ambiguous", name, "-data", dir, "-file", wrapped, "-restaurant", "1111")
	}
	add("-restaurant is required", "quote", "-data", dir, "-file", wrapped)
	add("-restaurant is required", "quote", "-data", dir, "-file", noResto)
	add("no \"cart\" object", "checkout", "-data", dir, "-file", noCart, "-restaurant", "4e57")
	add("-restaurant is required", "checkout", "-data", dir, "-file", file("co.json", `{"cart": {"items": []}}`))
	for _, more := range [][]string{
		{"-name is required", "found", "-data", dir},
		{"-invite is required", "join", "-data", dir},
		{"-member is required", "admit", "-data", dir, "-roles", "courier"},
		{"-roles is required", "admit", "-data", dir, "-member", memberM},
		{"unknown role \"pilot\"", "admit", "-data", dir, "-member", memberM, "-roles", "courier,pilot"},
		{"-member \"Zoé\": want hex", "admit", "-data", dir, "-member", "Zoé", "-roles", "courier"},
		{"-member \"11\" is too short", "admit", "-data", dir, "-member", "11", "-roles", "courier"},
		{"no member starting with 7777 on this node; a new member needs its full key", "admit", "-data", dir, "-member", "7777", "-roles", "courier"},
		{"-member is required", "revoke", "-data", dir},
		{"no member starting with 7777", "revoke", "-data", dir, "-member", "7777"},
		{"-member and -device are required", "link-device", "-data", dir, "-member", memberM},
		{"-device \"abc\": want 64 hex", "link-device", "-data", dir, "-member", memberM, "-device", "abc"},
		{"-member and -device are required", "revoke-device", "-data", dir, "-device", memberN},
		{"-lat and -lon are required", "jobs", "-data", dir},
		{"-lat and -lon are required", "jobs", "-data", dir, "-lat", "47.2"},
		{"-lat 91: want degrees", "jobs", "-data", dir, "-lat", "91", "-lon", "0"},
		{"-lon -181: want degrees", "jobs", "-data", dir, "-lat", "0", "-lon", "-181"},
		{"-radius -5", "jobs", "-data", dir, "-lat", "0", "-lon", "0", "-radius", "-5"},
		{"invalid value \"north\" for flag -lat", "jobs", "-data", dir, "-lat", "north", "-lon", "0"},
		{"-lat and -lon are required", "position", "-data", dir, "-lon", "1"},
		{"-lat NaN", "position", "-data", dir, "-lat", "NaN", "-lon", "1"},
		{"-n -1", "events", "-data", dir, "-n", "-1"},
		{"invalid value \"soon\" for flag -prep", "accept", "-data", dir, "-prep", "soon", orderC},
		{"-prep 5000", "accept", "-data", dir, "-prep", "5000", orderC},
		{"-reason \"bored\": want sold_out, rush_hour, closing", "refuse", "-data", dir, "-reason", "bored", orderC},
		{"-reason \"bored\": want customer", "cancel", "-data", dir, orderC, "-reason", "bored"},
		{"-minutes 0: want 1 to 240", "delay", "-data", dir, "-minutes", "0", orderC},
		{"-minutes 999", "delay", "-data", dir, "-minutes", "999", orderC},
		{"-courier is required", "assign", "-data", dir, orderC},
		{"no member starting with 2222", "assign", "-data", dir, "-courier", "2222", orderC},
		{"invalid boolean value \"maybe\" for -wait", "claim", "-data", dir, "-wait=maybe", orderC},
		{"-reason is required", "fail", "-data", dir, orderC},
		{"-task 3: want 1 (pickup) or 2 (dropoff)", "fail", "-data", dir, "-task", "3", "-reason", "x", orderC},
		{"-photo: open", "deliver", "-data", dir, "-photo", photo, orderC},
		{"-signature: open", "deliver", "-data", dir, orderC, "-signature", photo},
		{"stars go from 1 to 5", "rate", "-data", dir, "-restaurant", "6", orderC},
		{"give -restaurant, -courier or -comment", "rate", "-data", dir, orderC},
		{"-kind \"invoices\"", "export", "-data", dir, "-kind", "invoices"},
		{"-kind invoice needs -restaurant and -month", "export", "-data", dir, "-kind", "invoice", "-month", "2026-03"},
		{"-month \"03/2026\": want a month as YYYY-MM", "export", "-data", dir, "-month", "03/2026"},
		{"-day \"31/12/2026\": want a date as YYYY-MM-DD", "export", "-data", dir, "-day", "31/12/2026"},
		{"-courier \"Zoé\": want hex", "export", "-data", dir, "-courier", "Zoé"},
		{"-restaurant is required", "slots", "-data", dir},
		{"-restaurant \"xyz\": want hex", "slots", "-data", dir, "-restaurant", "xyz"},
		{"-field id: no field \"id\" in the answer", "status", "-data", dir, "-field", "id"},
		{"-status and -personal need -order", "wait", "-data", dir, "-status", "ready"},
		{"-order \"abc\" is too short", "wait", "-data", dir, "-order", "abc"},
		{"-member \"Zoé\": want hex", "wait", "-data", dir, "-member", "Zoé"},
		{"member 1111 is ambiguous", "wait", "-data", dir, "-member", "1111"},
		{"-timeout 0s: want a positive duration", "wait", "-data", dir, "-timeout", "0s"},
		{"invalid value \"-1\" for flag -rules", "wait", "-data", dir, "-rules", "-1"},
		// the commands that are not clients of a node
		{"unknown command \"fly\"", "fly"},
		{"unexpected argument \"now\"", "version", "now"},
		{"-data is required", "init"},
		{"unknown role", "init", "-data", t.TempDir(), "-role", "pilot"},
		{"non-loopback", "init", "-data", t.TempDir(), "-api", "0.0.0.0:80"},
		{"-invite", "init", "-data", t.TempDir(), "-invite", "garbage"},
		{"flag provided but not defined: -bogus", "init", "-data", t.TempDir(), "-bogus"},
		{"unexpected argument \"extra\"", "init", "-data", t.TempDir(), "extra"},
		{"already holds an identity", "init", "-data", dir},
		{"-listen \"garbage\" is not a multiaddr", "init", "-data", t.TempDir(), "-listen", "garbage"},
		{"-listen is empty", "init", "-data", t.TempDir(), "-listen", ","},
		{"unexpected argument \"all\"", "peers", "-data", dir, "all"},
		{"-announce: announce address \"garbage\" is not a multiaddr", "init", "-data", t.TempDir(), "-announce", "garbage"},
		{"-announce: announce address \"/ip4/0.0.0.0/tcp/4001\" is unspecified", "init", "-data", t.TempDir(), "-announce", "/ip4/203.0.113.7/tcp/4001,/ip4/0.0.0.0/tcp/4001"},
		{"invalid value \",\" for flag -announce: empty", "init", "-data", t.TempDir(), "-announce", ","},
		{"must not carry /p2p/", "run", "-data", dir, "-announce", "/ip4/203.0.113.7/tcp/4001/p2p/12D3KooWGzxzKZYveHXtpG6AsrUJBcWxHBFS2HsEoGTxrMLvKXtf"},
		{"-listen \"/ip4/1.2.3\" is not a multiaddr", "run", "-data", dir, "-listen", "/ip4/1.2.3"},
		{"bootstrap \"garbage\"", "run", "-data", dir, "-bootstrap", "garbage"},
		{"non-loopback", "run", "-data", dir, "-api", "8.8.8.8:1"},
		{"bad invite", "run", "-data", dir, "-invite", "garbage"},
		{"unknown role", "run", "-data", dir, "-role", "pilot"},
		{"-data is required", "run"},
		{"-log-level \"loud\"", "run", "-data", dir, "-log-level", "loud"},
		{"did you run 'coopnode init", "run", "-data", t.TempDir()},
		{"flag provided but not defined: -bogus", "run", "-data", dir, "-bogus"},
		{"outside 1..200", "demo", "-orders", "0"},
		{"invalid value \"many\" for flag -couriers", "demo", "-couriers", "many"},
		{"unexpected argument \"now\"", "demo", "now"},
		{"flag provided but not defined: -bogus", "bench", "-bogus"},
		{"unexpected argument \"now\"", "bench", "now"},
		{"-from \"yesterday\": want a date as YYYY-MM-DD", "books", "-data", dir, "-from", "yesterday"},
		{"-of \"chef\": want courier, restaurant or customer", "feedback", "-data", dir, "-of", "chef", "-stars", "3", orderC},
		{"-stars goes from 1 to 5", "feedback", "-data", dir, "-of", "courier", "-stars", "9", orderC},
		{"-category is required", "incident", "-data", dir, orderC},
		{"-against \"moon\"", "incident", "-data", dir, "-category", "late", "-against", "moon", orderC},
		{"-member is required", "reputation", "-data", dir},
		{"-as \"customer\": want courier or restaurant", "reputation", "-data", dir, "-member", memberM, "-as", "customer"},
		{"want the subcommand verify or export", "credential", "issue"},
		{"-data is required", "credential", "export", "-courier", memberM},
		{"-courier is required", "credential", "export", "-data", dir},
		{"-valid-days 0: want 1..1830", "credential", "export", "-data", dir, "-courier", memberM, "-valid-days", "0"},
		{"-from \"soon\": want a date", "credential", "export", "-data", dir, "-courier", memberM, "-from", "soon"},
		{"-credential: open", "admit", "-data", dir, "-member", memberM, "-roles", "courier", "-credential", filepath.Join(t.TempDir(), "none.json")},
		{"-at \"tomorrow\" is not an RFC 3339 time", "credential", "verify", "-at", "tomorrow", "x.json"},
		{"no such file", "credential", "verify", filepath.Join(t.TempDir(), "missing.json")},
		{"not_work_record: " + filepath.Join(dir, configFile) + ": credential: not a courier work record", "credential", "verify", filepath.Join(dir, configFile)},
	} {
		add(more[0], more[1:]...)
		if len(more) > 1 {
			covered[more[1]] = true
		}
	}
	for _, name := range names {
		if !covered[name] {
			t.Errorf("command %q has no bad-input case", name)
		}
	}
	for _, c := range cases {
		var out, errb bytes.Buffer
		code := realMain(c.args, &out, &errb)
		msg := errb.String()
		if code == 0 || strings.Count(msg, "\n") != 1 || !strings.HasSuffix(msg, "\n") || !strings.Contains(msg, c.want) || out.Len() != 0 {
			t.Errorf("coopnode %q:\n exit %d, stdout %q\n stderr %q\n want a non-zero exit and one line with %q", c.args, code, out.String(), msg, c.want)
		}
		// "coopnode NAME: CODE: message", CODE from node's table
		if len(c.args) > 0 && allCommands()[c.args[0]].run != nil {
			_, rest, _ := strings.Cut(msg, ": ")
			errCode, _, _ := strings.Cut(rest, ": ")
			if node.Describe(errCode) == "" || errCode == node.CodeInternal {
				t.Errorf("coopnode %q: %q has no code of node's table", c.args, msg)
			}
		}
	}
	var out, errb bytes.Buffer
	if code := realMain(nil, &out, &errb); code != 2 || !strings.HasPrefix(errb.String(), "usage: coopnode <command>") {
		t.Errorf("no arguments: exit %d, %q", code, errb.String())
	}
	if ch := fake.changed(); len(ch) != 0 {
		t.Errorf("bad input reached the node: %v", ch)
	}
	t.Logf("%d bad command lines over %d commands", len(cases), len(names))
}

// TestStaleAPIAddr: api.addr left behind by a crashed node gives the same
// advice as no node at all, not "connection refused" (issue 12.8).
func TestStaleAPIAddr(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	addr := ln.Addr().String()
	ln.Close() // nothing listens there any more
	dir := fakeData(t, nil)
	must(t, os.WriteFile(filepath.Join(dir, apiFile), []byte(addr+"\n"), 0o600))
	for _, args := range [][]string{{"status", "-data", dir}, {"order", "-data", dir, "abcd"}, {"events", "-data", dir}} {
		var out, errb bytes.Buffer
		code := realMain(args, &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "no running node for "+dir+": start it with 'coopnode run -data "+dir+"'") {
			t.Errorf("%v: exit %d, %q", args, code, errb.String())
		}
	}
}

// TestHelpShowsSynopsis: every command's -h names the command (not
// "Usage of coopnode :"), shows its positional arguments, and exits 0
// (issue 12.8).
func TestHelpShowsSynopsis(t *testing.T) {
	for name, c := range allCommands() {
		var out, errb bytes.Buffer
		code := realMain([]string{name, "-h"}, &out, &errb)
		help := errb.String()
		if code != 0 || !strings.HasPrefix(help, "usage: coopnode "+name+" ") || strings.Contains(help, "Usage of") {
			t.Errorf("%s -h: exit %d, %q", name, code, help)
		}
		if takesOrder(c) == 1 && !strings.HasSuffix(strings.SplitN(help, "\n", 2)[0], " ORDER") {
			t.Errorf("%s -h: the first line does not show ORDER: %q", name, help)
		}
	}
	var errb bytes.Buffer
	realMain([]string{"accept", "-h"}, &bytes.Buffer{}, &errb)
	if !strings.HasPrefix(errb.String(), "usage: coopnode accept -data DIR [-prep MINUTES] ORDER\n") || !strings.Contains(errb.String(), "-prep") {
		t.Errorf("accept -h: %q", errb.String())
	}
}

// TestFlagsAfterArguments: flags may follow the order ID; short IDs
// resolve through the node; a full ID is used as given (issue 12.8).
func TestFlagsAfterArguments(t *testing.T) {
	var got []string
	var mu sync.Mutex
	fake := &fakeNode{}
	dir := fakeData(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			var body map[string]any
			json.NewDecoder(r.Body).Decode(&body)
			b, _ := json.Marshal(body)
			mu.Lock()
			got = append(got, r.URL.Path+" "+string(b))
			mu.Unlock()
			w.Write([]byte(`{"id": "` + orderC + `", "status": "accepted"}`))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	for _, args := range [][]string{
		{"accept", "-data", dir, "5eed", "-prep", "12"},
		{"accept", "5eed0001", "-data", dir, "-prep=12"},
		{"accept", "-data", dir, "-prep", "12", "--", orderC},
		{"assign", "-data", dir, "5eed", "-courier", "11110000"},
	} {
		var out, errb bytes.Buffer
		if code := realMain(args, &out, &errb); code != 0 {
			t.Errorf("%v: exit %d: %s", args, code, errb.String())
		}
		if !strings.Contains(out.String(), "status     accepted") {
			t.Errorf("%v: output %q", args, out.String())
		}
	}
	want := []string{
		"/v1/orders/" + orderC + "/accept {\"prep_minutes\":12}",
		"/v1/orders/" + orderC + "/accept {\"prep_minutes\":12}",
		"/v1/orders/" + orderC + "/accept {\"prep_minutes\":12}",
		"/v1/orders/" + orderC + "/assign {\"courier\":\"" + memberM + "\"}",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("requests:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// takesOrder is how many ORDER arguments a command's synopsis shows.
// takesArg counts the positional arguments of c named in names.
func takesArg(c command, names ...string) int {
	n := 0
	for _, w := range strings.Fields(c.synopsis) {
		if slices.Contains(names, w) {
			n++
		}
	}
	return n
}

func takesOrder(c command) int {
	n := 0
	for _, w := range strings.Fields(c.synopsis) {
		if w == "ORDER" {
			n++
		}
	}
	return n
}

// TestFormatsSurviveOddAnswers: the text formats never panic, whatever
// JSON a node (of another version, say) answers.
func TestFormatsSurviveOddAnswers(t *testing.T) {
	formats := map[string]func(io.Writer, []byte) error{
		"status": fmtStatus, "invite": fmtInvite, "found": fmtFound, "coop": fmtCoop, "restaurants": fmtRestaurants, "peers": fmtPeers,
		"orders": fmtOrders, "order": fmtOrder, "jobs": fmtJobs, "claim": fmtClaim, "quote": fmtQuote,
		"placed": fmtPlaced, "generic": fmtGeneric, "slots": fmtSlots, "done": fmtDone, "published": published("menu"),
		"shifts": fmtShifts, "board": fmtBoard, "books": fmtBooks, "reputation": fmtReputation, "admitted": fmtAdmitted, "created": fmtCreated("shift", "next:"),
	}
	answers := []string{``, `null`, `[]`, `{}`, `"x"`, `7`, `[null, 1, "a", {}]`, `not json`,
		`{"members": [1], "stats": "x", "place": 5, "pickup": [], "proof": {"pin": 1}, "result": {"won": "yes"}, "lines": {"a": 1}, "roles": "admin"}`,
		`[{"order": null, "profile": [], "menu": {"sections": [{"items": "many"}]}, "id": 5, "start": "never"}]`,
		`{"members": {"k": null, "j": {"roles": -1, "devices": []}}, "quote": [], "delivery": {"summary": 3}, "ready_by": 5, "holder": "0000"}`,
	}
	for name, f := range formats {
		for _, a := range answers {
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Errorf("%s format of %q panicked: %v", name, a, r)
					}
				}()
				_ = f(io.Discard, []byte(a))
			}()
		}
	}
}

// TestWaitTakesPrefixes: wait takes an unambiguous prefix of an order ID or
// a key, as every other command does, and waits while none matches yet.
func TestWaitTakesPrefixes(t *testing.T) {
	dir := fakeData(t, &fakeNode{})
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-order", "5eed"}, 0, ""},
		{[]string{"-order", "5EED0001", "-member", "4e57"}, 0, ""},
		{[]string{"-member", "11110001"}, 0, ""},
		{[]string{"-order", "abcd"}, 1, "order abcd is ambiguous"},
		{[]string{"-order", "ffff", "-timeout", "300ms"}, 1, "order ffff is not here yet"},
	} {
		var out, errb bytes.Buffer
		code := realMain(append([]string{"wait", "-data", dir}, tc.args...), &out, &errb)
		if code != tc.code || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("wait %v: exit %d, stderr %q; want exit %d and %q", tc.args, code, errb.String(), tc.code, tc.want)
		}
	}
}

// TestNoCoopSaysHowToFix: every command that needs a coop, on a node that
// has none, says how to get one, as status does (README review).
func TestNoCoopSaysHowToFix(t *testing.T) {
	dir := fakeData(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/v1/status" {
			w.Write([]byte(`{"key": "` + memberM + `"}`))
			return
		}
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"error": "node: no cooperative joined", "code": "no_coop"}`))
	}))
	for _, args := range [][]string{{"coop"}, {"menu", "-file", "../../examples/menu.json"}, {"rules", "-file", "../../examples/rules.json"}, {"export"}} {
		cmd := args[0]
		var out, errb bytes.Buffer
		code := realMain(append([]string{cmd, "-data", dir}, args[1:]...), &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), "no_coop: ") || !strings.Contains(errb.String(), "'coopnode found'") || !strings.Contains(errb.String(), "-invite") {
			t.Errorf("%s: exit %d, %q", cmd, code, errb.String())
		}
	}
}

// TestTopLevelHelp: "coopnode -h" and "coopnode help" print the command
// list on stdout and exit 0; "coopnode help CMD" prints CMD's help on
// stdout; no arguments at all is a usage error (README review).
func TestTopLevelHelp(t *testing.T) {
	for _, tc := range []struct {
		args       []string
		code       int
		out, errIn string
	}{
		{[]string{"-h"}, 0, "usage: coopnode", ""},
		{[]string{"--help"}, 0, "usage: coopnode", ""},
		{[]string{"help"}, 0, "usage: coopnode", ""},
		{[]string{"help", "run"}, 0, "usage: coopnode run -data DIR", ""},
		{[]string{"help", "accept"}, 0, "-prep", ""},
		{[]string{"help", "fly"}, 2, "", "no command \"fly\""},
		{nil, 2, "", "usage: coopnode"},
	} {
		var out, errb bytes.Buffer
		code := realMain(tc.args, &out, &errb)
		if code != tc.code || (tc.out == "") != (out.Len() == 0) || !strings.Contains(out.String(), tc.out) || (tc.errIn != "" && !strings.Contains(errb.String(), tc.errIn)) {
			t.Errorf("coopnode %v: exit %d, stdout %q, stderr %q", tc.args, code, out.String(), errb.String())
		}
	}
}

// TestDeliverWithoutPIN: deliver with no -pin on an order that has a PIN
// says the PIN is needed (a wrong -pin still says it does not match).
func TestDeliverWithoutPIN(t *testing.T) {
	fake := &fakeNode{}
	dir := fakeData(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == "POST" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"error": "courier.deliver refused: the handover PIN does not match the order's (pin_mismatch)", "code": "pin_mismatch"}`))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{orderC}, "pin_mismatch: this order needs the customer's handover PIN: pass -pin"},
		{[]string{"-pin", "1234", orderC}, "pin_mismatch: courier.deliver refused: the handover PIN does not match"},
	} {
		var out, errb bytes.Buffer
		code := realMain(append([]string{"deliver", "-data", dir}, tc.args...), &out, &errb)
		if code != 1 || !strings.Contains(errb.String(), tc.want) {
			t.Errorf("deliver %v: exit %d, %q; want %q", tc.args, code, errb.String(), tc.want)
		}
	}
}
