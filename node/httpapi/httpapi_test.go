package httpapi

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/node"
)

func key(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("httpapi test " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

type apiFixture struct {
	t     *testing.T
	n     *node.Node
	srv   *httptest.Server
	token string
}

func newFixture(t *testing.T) *apiFixture {
	ctx := context.Background()
	n, err := node.New(ctx, node.WithKey(key("admin")), node.WithRole(node.RoleAdmin), node.WithListen("/ip4/127.0.0.1/tcp/0"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Close() })
	s, err := New(n, "s3cret", nil)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	return &apiFixture{t: t, n: n, srv: srv, token: "s3cret"}
}

func (f *apiFixture) do(method, path, body, token string) (int, map[string]any, []byte) {
	f.t.Helper()
	req, _ := http.NewRequest(method, f.srv.URL+path, strings.NewReader(body))
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return resp.StatusCode, m, b
}

func (f *apiFixture) hashes() string {
	h, _ := f.n.ScopeHashes(context.Background())
	b, _ := json.Marshal(h)
	return string(b)
}

// TestAPIBadInput: bad requests get a 4xx with a clear message and change
// nothing; a missing or wrong token gets 401 (issue 3).
func TestAPIBadInput(t *testing.T) {
	f := newFixture(t)
	code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"API Coop","city":"Lille"}`, f.token)
	if code != http.StatusCreated {
		t.Fatalf("found: %d %v", code, m)
	}
	resto := crdt.PubKey(key("resto").Public().(ed25519.PublicKey))
	code, _, _ = f.do("POST", "/v1/coop/members", `{"member":"`+resto.String()+`","roles":["restaurant"],"name":"R"}`, f.token)
	if code != http.StatusOK {
		t.Fatalf("admit: %d", code)
	}
	place := `{"restaurant":"` + resto.String() + `","fulfilment":1,"items":[{"product":"p","quantity":1,"unit_cents":500,"total_cents":500}],"pickup":{"lat_e6":1,"lon_e6":1},"dropoff_area":{"lat_e6":2,"lon_e6":2}}`
	code, m, _ = f.do("POST", "/v1/orders", place, f.token)
	if code != http.StatusCreated {
		t.Fatalf("place: %d %v", code, m)
	}
	order := m["id"].(string)
	before := f.hashes()

	big := `{"name":"` + strings.Repeat("x", MaxBody) + `"}`
	cases := []struct {
		name, method, path, body, token string
		want                            int
		code                            string
	}{
		{"no token", "GET", "/v1/status", "", "", 401, "unauthorized"},
		{"wrong token", "GET", "/v1/status", "", "nope", 401, "unauthorized"},
		{"wrong token on write", "POST", "/v1/orders", place, "s3cre", 401, "unauthorized"},
		{"not json", "POST", "/v1/orders", `{"restaurant":`, f.token, 400, "bad_json"},
		{"empty body", "POST", "/v1/orders", ``, f.token, 400, "bad_json"},
		{"unknown field", "POST", "/v1/orders", `{"restaurantt":"x"}`, f.token, 400, "bad_json"},
		{"trailing data", "POST", "/v1/coop/members", `{"member":"` + resto.String() + `","roles":["courier"]} {}`, f.token, 400, "bad_json"},
		{"bad key hex", "POST", "/v1/coop/members", `{"member":"zz","roles":["courier"]}`, f.token, 400, "bad_json"},
		{"bad role", "POST", "/v1/coop/members", `{"member":"` + resto.String() + `","roles":["boss"]}`, f.token, 400, "bad_role"},
		{"no roles", "POST", "/v1/coop/members", `{"member":"` + resto.String() + `"}`, f.token, 400, "bad_argument"},
		{"bad order id", "GET", "/v1/orders/xyz", "", f.token, 400, "bad_argument"},
		{"unknown order", "GET", "/v1/orders/" + strings.Repeat("ab", 32), "", f.token, 404, "not_found"},
		{"unknown action", "POST", "/v1/orders/" + order + "/teleport", `{}`, f.token, 404, "no_route"},
		{"action on unknown order", "POST", "/v1/orders/" + strings.Repeat("cd", 32) + "/accept", `{}`, f.token, 404, "not_found"},
		{"accept by non-restaurant", "POST", "/v1/orders/" + order + "/accept", `{}`, f.token, 403, "not_restaurant"},
		{"refuse with bad reason", "POST", "/v1/orders/" + order + "/refuse", `{"reason":"meh"}`, f.token, 403, "not_restaurant"},
		{"place for non-member restaurant", "POST", "/v1/orders", strings.Replace(place, resto.String(), strings.Repeat("11", 32), 1), f.token, 409, "restaurant_not_member"},
		{"place off the globe", "POST", "/v1/orders", strings.Replace(place, `"lat_e6":1,`, `"lat_e6":95000000,`, 1), f.token, 409, "bad_field"},
		{"orders since not a time", "GET", "/v1/orders?since=yesterday", "", f.token, 400, "bad_argument"},
		{"orders unknown status", "GET", "/v1/orders?status=lost", "", f.token, 400, "bad_argument"},
		{"jobs bad position", "GET", "/v1/jobs?lat_e6=abc", "", f.token, 400, "bad_argument"},
		{"jobs off globe", "GET", "/v1/jobs?lat_e6=95000000&lon_e6=0", "", f.token, 400, "bad_argument"},
		{"found twice", "POST", "/v1/coop/found", `{"name":"Again"}`, f.token, 400, "bad_argument"},
		{"too large", "PUT", "/v1/catalog/profile", big, f.token, 413, "too_large"},
		{"no route", "GET", "/v2/nothing", "", f.token, 404, "no_route"},
		{"join without anything", "POST", "/v1/coop/join", `{}`, f.token, 400, "bad_argument"},
		{"join bad invite", "POST", "/v1/coop/join", `{"invite":"coopnode1:!!"}`, f.token, 400, "bad_invite"},
		{"catalogue by non-restaurant", "PUT", "/v1/catalog/menu", `{"sections":[]}`, f.token, 403, "not_restaurant"},
	}
	for _, tc := range cases {
		code, m, raw := f.do(tc.method, tc.path, tc.body, tc.token)
		if code != tc.want || m["code"] != tc.code || m["error"] == "" {
			t.Errorf("%s: got %d %s, want %d %s", tc.name, code, bytes.TrimSpace(raw[:min(len(raw), 200)]), tc.want, tc.code)
		}
	}
	if after := f.hashes(); after != before {
		t.Fatal("a bad request changed state")
	}
}

// TestAPIFlowAndEvents drives found, place, cancel through the API and sees
// the changes on the SSE stream.
func TestAPIFlowAndEvents(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/v1/coop/found", `{"name":"SSE Coop"}`, f.token)
	req, _ := http.NewRequest("GET", f.srv.URL+"/v1/events?token="+f.token, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	me := f.n.Key()
	code, _, _ := f.do("POST", "/v1/coop/members", `{"member":"`+me.String()+`","roles":["admin","restaurant","courier"],"name":"all of it"}`, f.token)
	if code != 200 {
		t.Fatalf("admit self: %d", code)
	}
	code, m, _ := f.do("POST", "/v1/orders", `{"restaurant":"`+me.String()+`","fulfilment":1,"pickup":{"lat_e6":1,"lon_e6":1},"dropoff_area":{"lat_e6":2,"lon_e6":2}}`, f.token)
	if code != 201 {
		t.Fatalf("place: %d %v", code, m)
	}
	order := m["id"].(string)
	code, m, _ = f.do("POST", "/v1/orders/"+order+"/accept", `{"prep_minutes":12}`, f.token)
	if code != 200 || m["status"] != "accepted" {
		t.Fatalf("accept: %d %v", code, m)
	}
	code, m, _ = f.do("POST", "/v1/orders/"+order+"/claim", `{}`, f.token)
	if code != 200 || m["claim"] == nil {
		t.Fatalf("claim: %d %v", code, m)
	}
	// an admin node does not auto-confirm (only restaurant nodes do): assign
	code, m, _ = f.do("POST", "/v1/orders/"+order+"/assign", `{"courier":"`+me.String()+`"}`, f.token)
	if code != 200 || m["holder_confirmed"] != true {
		t.Fatalf("assign: %d %v", code, m)
	}
	sc := make([]byte, 0, 4096)
	buf := make([]byte, 1024)
	for !bytes.Contains(sc, []byte(`"kind":"courier.assign"`)) {
		k, err := resp.Body.Read(buf)
		if err != nil {
			t.Fatalf("stream ended before the assign: %v; got %s", err, sc)
		}
		sc = append(sc, buf[:k]...)
	}
	if !bytes.Contains(sc, []byte("event: order")) || !bytes.Contains(sc, []byte(`"kind":"order.accept"`)) {
		t.Fatalf("stream: %s", sc)
	}
	code, m, _ = f.do("GET", "/v1/status", "", f.token)
	if code != 200 || m["coop"] == "" {
		t.Fatalf("status: %d %v", code, m)
	}
}

func TestListenLoopbackOnly(t *testing.T) {
	for _, a := range []string{"0.0.0.0:0", "192.0.2.1:80", "example.com:80", "nope"} {
		if l, err := Listen(a); err == nil {
			l.Close()
			t.Errorf("%s: listened", a)
		}
	}
	l, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
}

// TestAPIErrorsAreJSON (issue 12.7): requests the API must refuse are
// refused, and every refusal — net/http's own 405, redirects to a cleaned
// path and 400s included — is JSON with a code of node's table: null or
// non-object bodies, a token without "Bearer ", radii out of range.
func TestAPIErrorsAreJSON(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"API Coop"}`, f.token); code != http.StatusCreated {
		t.Fatalf("found: %d %v", code, m)
	}
	before := f.hashes()
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		name, method, path, auth, body string
		want                           int
		code                           string
	}{
		{"null menu", "PUT", "/v1/catalog/menu", "Bearer s3cret", "null", 400, "bad_json"},
		{"null profile", "PUT", "/v1/catalog/profile", "Bearer s3cret", " null ", 400, "bad_json"},
		{"array profile", "PUT", "/v1/catalog/profile", "Bearer s3cret", "[]", 400, "bad_json"},
		{"string order", "POST", "/v1/orders", "Bearer s3cret", `"x"`, 400, "bad_json"},
		{"null rules", "PUT", "/v1/coop/rules", "Bearer s3cret", "null", 400, "bad_json"},
		{"null checkout", "POST", "/v1/checkout", "Bearer s3cret", "null", 400, "bad_json"},
		{"token without Bearer", "GET", "/v1/status", "s3cret", "", 401, "unauthorized"},
		{"token as Basic", "GET", "/v1/status", "Basic s3cret", "", 401, "unauthorized"},
		{"token lower-case bearer", "GET", "/v1/status", "bearer s3cret", "", 401, "unauthorized"},
		{"token in the query off /v1/events", "GET", "/v1/status?token=s3cret", "", "", 401, "unauthorized"},
		{"negative radius", "GET", "/v1/jobs?lat_e6=47000000&lon_e6=-1500000&radius_m=-1", "Bearer s3cret", "", 400, "bad_argument"},
		{"huge radius", "GET", "/v1/jobs?lat_e6=47000000&lon_e6=-1500000&radius_m=9000000000", "Bearer s3cret", "", 400, "bad_argument"},
		{"radius past the limit", "GET", "/v1/jobs?radius_m=100001", "Bearer s3cret", "", 400, "bad_argument"},
		{"no rules yet", "GET", "/v1/coop/rules", "Bearer s3cret", "", 404, "not_found"},
		{"wrong method", "DELETE", "/v1/status", "Bearer s3cret", "", 405, "method_not_allowed"},
		{"wrong method on an order", "PUT", "/v1/orders/" + strings.Repeat("ab", 32), "Bearer s3cret", "{}", 405, "method_not_allowed"},
		{"double slash", "GET", "//v1/status", "Bearer s3cret", "", 404, "no_route"},
		{"dot dot", "GET", "/v1/orders/../status", "Bearer s3cret", "", 404, "no_route"},
		{"trailing slash", "GET", "/v1/status/", "Bearer s3cret", "", 404, "no_route"},
	} {
		req, err := http.NewRequest(tc.method, f.srv.URL+tc.path, strings.NewReader(tc.body))
		if err != nil {
			t.Fatal(err)
		}
		req.URL.Opaque = "//" + req.URL.Host + tc.path // sent exactly as written
		if i := strings.IndexByte(tc.path, '?'); i >= 0 {
			req.URL.Opaque = "//" + req.URL.Host + tc.path[:i]
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var m map[string]any
		jerr := json.Unmarshal(raw, &m)
		if resp.StatusCode != tc.want || jerr != nil || m["code"] != tc.code || m["error"] == "" ||
			!strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("%s: got %d %s %q, want %d JSON with code %s", tc.name, resp.StatusCode, resp.Header.Get("Content-Type"),
				bytes.TrimSpace(raw[:min(len(raw), 200)]), tc.want, tc.code)
		}
		if node.HTTPStatus(tc.code) != tc.want {
			t.Errorf("%s: the table gives %s status %d", tc.name, tc.code, node.HTTPStatus(tc.code))
		}
	}
	if after := f.hashes(); after != before {
		t.Fatal("a refused request changed state")
	}
}

// TestAPIRefusesBadDocuments (issue 12.7): a profile, menu or PIN that
// checkout would refuse is refused at publication, with the code and the
// field, and nothing is published.
func TestAPIRefusesBadDocuments(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"API Coop"}`, f.token); code != http.StatusCreated {
		t.Fatalf("found: %d %v", code, m)
	}
	before := f.hashes()
	profile := func(extra string) string {
		return `{"name":"Chez Mia","timezone":"Europe/Paris","fulfilment":3,"enabled":true,"position":{"lat_e6":47218000,"lon_e6":-1553000}` + extra + `}`
	}
	menu := func(products string) string { return `{"sections":[{"name":"Mains","products":[` + products + `]}]}` }
	for _, tc := range []struct {
		name, path, body, code, field string
	}{
		{"time zone Mars/Olympus", "/v1/catalog/profile", profile(`,"timezone":"Mars/Olympus"`), "bad_timezone", "timezone"},
		{"hours 25:99-xx", "/v1/catalog/profile", profile(`,"hours":["Mo-Fr 11:00-14:00","25:99-xx"]`), "bad_hours", "hours[1]"},
		{"latitude 200°", "/v1/catalog/profile", profile(`,"position":{"lat_e6":200000000,"lon_e6":0}`), "bad_position", "position"},
		{"negative minimum order", "/v1/catalog/profile", profile(`,"min_order_cents":-500`), "bad_profile", "min_order_cents"},
		{"prep time 4294967295", "/v1/catalog/profile", profile(`,"prep_minutes":4294967295`), "bad_profile", "prep_minutes"},
		{"negative price", "/v1/catalog/menu", menu(`{"id":"soup","name":"Soup","price_cents":-1,"enabled":true}`), "bad_menu", "sections[0].products[0].price_cents"},
		{"option min above max", "/v1/catalog/menu", menu(`{"id":"wrap","name":"Wrap","price_cents":900,"enabled":true,"options":[{"id":"x","name":"X","min":3,"max":1,"values":[{"id":"a","enabled":true}]}]}`),
			"bad_menu", "sections[0].products[0].options[0].min"},
		{"duplicate product IDs", "/v1/catalog/menu", menu(`{"id":"soup","name":"Soup","price_cents":100,"enabled":true},{"id":"soup","name":"Soup 2","price_cents":200,"enabled":true}`),
			"bad_menu", "sections[0].products[1].id"},
		{"100 KB PIN", "/v1/checkout", `{"cart":{"restaurant":"` + strings.Repeat("ab", 32) + `","fulfilment":2,"items":[{"product":"soup","quantity":1}]},"pin":"` + strings.Repeat("7", 100<<10) + `"}`,
			"bad_pin", "pin"},
	} {
		method := "PUT"
		if tc.path == "/v1/checkout" {
			method = "POST"
		}
		code, m, raw := f.do(method, tc.path, tc.body, f.token)
		if code != http.StatusConflict || m["code"] != tc.code || m["field"] != tc.field || !strings.Contains(m["error"].(string), tc.field) {
			t.Errorf("%s: got %d %s, want 409 %s on %s", tc.name, code, bytes.TrimSpace(raw[:min(len(raw), 300)]), tc.code, tc.field)
		}
	}
	if after := f.hashes(); after != before {
		t.Fatal("a refused document was published")
	}
}
