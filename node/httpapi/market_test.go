package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestAPIMarketFlow: rules, a menu with options, a quote, refusals with
// their codes, a checkout with a tip, the order's price explained, a rating
// and a CSV export, all over HTTP (issue 4).
func TestAPIMarketFlow(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/v1/coop/found", `{"name":"Market Coop","timezone":"Europe/Paris"}`, f.token)
	me := f.n.Key().String()
	if code, m, _ := f.do("POST", "/v1/coop/members", `{"member":"`+me+`","roles":["admin","restaurant","courier"],"name":"one of everything"}`, f.token); code != 200 {
		t.Fatalf("admit: %d %v", code, m)
	}
	rules := `{"version":1,"strategy":1,"zones":[{"name":"city","rings":[[{"lat_e6":47150000,"lon_e6":-1700000},{"lat_e6":47150000,"lon_e6":-1400000},{"lat_e6":47300000,"lon_e6":-1400000},{"lat_e6":47300000,"lon_e6":-1700000}]]}],
		"service_zone":"city","rules":[{"name":"standard","fixed_cents":350}],"fees":{"delivery_bps":1500},"pay":{"base_cents":300,"tip_bps":10000},
		"taxes":[{"category":"food_takeaway","rate_bps":1000}]}`
	for _, step := range []struct{ method, path, body string }{
		{"PUT", "/v1/coop/rules", rules},
		{"PUT", "/v1/catalog/profile", `{"name":"Chez Mia","position":{"lat_e6":47218000,"lon_e6":-1553000},"fulfilment":3,"enabled":true,"min_order_cents":500}`},
		{"PUT", "/v1/catalog/menu", `{"sections":[{"name":"Wraps","products":[{"id":"wrap","name":"Falafel wrap","price_cents":650,"tax_category":"food_takeaway","enabled":true,
			"options":[{"id":"sauce","name":"Sauce","min":1,"max":1,"values":[{"id":"tahini","name":"Tahini","enabled":true},{"id":"harissa","name":"Harissa","price_cents":50,"enabled":true}]}]}]}]}`},
	} {
		if code, m, _ := f.do(step.method, step.path, step.body, f.token); code != 200 {
			t.Fatalf("%s %s: %d %v", step.method, step.path, code, m)
		}
	}
	if code, m, _ := f.do("GET", "/v1/coop/rules", "", f.token); code != 200 || m["version"] != 1.0 {
		t.Fatalf("rules: %d %v", code, m)
	}
	cart := `{"restaurant":"` + me + `","fulfilment":1,"tip_cents":150,"dropoff":{"lat_e6":47210000,"lon_e6":-1560000},"items":[{"product":"wrap","quantity":2,"options":["harissa"]}]}`
	code, q, _ := f.do("POST", "/v1/quote", cart, f.token)
	if code != 200 || q["items_cents"] != 1400.0 || q["delivery_cents"] != 350.0 || q["total_cents"] != 1900.0 {
		t.Fatalf("quote: %d %v", code, q)
	}
	for _, tc := range []struct{ name, cart, code string }{
		{"no sauce", strings.Replace(cart, `,"options":["harissa"]`, ``, 1), "bad_option_count"},
		{"outside the zone", strings.Replace(cart, `"lat_e6":47210000`, `"lat_e6":47400000`, 1), "outside_zone"},
		{"unknown product", strings.Replace(cart, `"product":"wrap"`, `"product":"pizza"`, 1), "unknown_product"},
	} {
		code, m, _ := f.do("POST", "/v1/checkout", `{"cart":`+tc.cart+`}`, f.token)
		if code != http.StatusConflict || m["code"] != tc.code {
			t.Errorf("%s: %d %v, want 409 %s", tc.name, code, m, tc.code)
		}
	}
	code, m, _ := f.do("POST", "/v1/checkout", `{"cart":`+cart+`,"personal":{"name":"Léa","phone":"0612"},"pin":"4321"}`, f.token)
	if code != http.StatusCreated {
		t.Fatalf("checkout: %d %v", code, m)
	}
	id := m["id"].(string)
	if code, m, _ := f.do("GET", "/v1/orders/"+id+"/personal", "", f.token); code != 200 || m["name"] != "Léa" {
		t.Fatalf("personal data for the restaurant: %d %v", code, m)
	}
	for _, a := range []struct{ action, body string }{
		{"accept", `{}`}, {"claim", `{}`}, {"pickup", `{}`}, {"deliver", `{"proof":{"recipient":"Léa","pin":"4321"}}`},
		{"rate", `{"restaurant_stars":5,"courier_stars":5,"comment":"perfect"}`},
	} {
		if code, m, _ := f.do("POST", "/v1/orders/"+id+"/"+a.action, a.body, f.token); code != 200 {
			t.Fatalf("%s: %d %v", a.action, code, m)
		}
	}
	code, p, _ := f.do("GET", "/v1/orders/"+id+"/price", "", f.token)
	if code != 200 || p["delivery_cents"] != 350.0 {
		t.Fatalf("price: %d %v", code, p)
	}
	if b, _ := json.Marshal(p["delivery"]); !strings.Contains(string(b), "standard") {
		t.Fatalf("the price explanation does not name the rule: %s", b)
	}
	code, _, raw := f.do("GET", "/v1/exports/orders.csv", "", f.token)
	if code != 200 || !strings.Contains(string(raw), "\n") || len(strings.Split(strings.TrimSpace(string(raw)), "\n")) != 2 {
		t.Fatalf("export: %d %s", code, raw)
	}
	if code, _, _ := f.do("GET", "/v1/exports/orders.csv?day=yesterday", "", f.token); code != 400 {
		t.Fatalf("bad day: %d", code)
	}
	if code, m, _ := f.do("GET", "/v1/exports/secrets.csv", "", f.token); code != 400 {
		t.Fatalf("unknown export: %d %v", code, m)
	}
}
