package httpapi

import (
	"net/http"
	"strings"
	"testing"
)

// TestAPIRulesPreview: a sample delivery priced with the rules in force
// and with a draft (nothing signed), with the explanation, the courier's
// pay and the platform fee; a draft whose rules match nothing, a bad draft
// and a bad target are refused with their codes.
func TestAPIRulesPreview(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/v1/coop/found", `{"name":"Preview Coop","timezone":"Europe/Paris"}`, f.token)
	rules := `{"version":1,"strategy":1,"detour_bps":2000,"rules":[{"name":"short","max_distance_m":3000,"fixed_cents":350},{"name":"long","fixed_cents":500,"steps":[{"of":1,"cents":100,"every":1000}]}],
		"fees":{"delivery_bps":1500},"pay":{"base_cents":300,"per_km_cents":50,"tip_bps":10000,"min_cents":400}}`
	if code, m, _ := f.do("PUT", "/v1/coop/rules", rules, f.token); code != 200 {
		t.Fatalf("rules: %d %v", code, m)
	}
	published := f.n.Stats(t.Context()).Published
	code, p, _ := f.do("POST", "/v1/coop/rules/preview", `{"target":1,"distance_m":5000,"items_cents":2000,"tip_cents":200}`, f.token)
	// 5 km straight + 20 % detour = 6 km billed: "long" (5.00 + 6 × 1.00)
	if code != 200 || p["billing_m"] != 6000.0 || p["fee_cents"] != 1100.0 || p["platform_fee_cents"] != 300.0 {
		t.Fatalf("preview: %d %v", code, p)
	}
	pay := p["pay"].(map[string]any)
	if pay["total_cents"] != 300.0+300.0+200.0 {
		t.Fatalf("pay: %v", pay)
	}
	ex := p["explanation"].(map[string]any)
	if !strings.Contains(ex["summary"].(string), "rule 2") {
		t.Fatalf("explanation: %v", ex)
	}
	draft := strings.Replace(rules, `"version":1`, `"version":2`, 1)
	draft = strings.Replace(draft, `"fixed_cents":350`, `"fixed_cents":450`, 1)
	if code, p, _ := f.do("POST", "/v1/coop/rules/preview", `{"target":1,"distance_m":1000,"rules":`+draft+`}`, f.token); code != 200 || p["fee_cents"] != 450.0 || p["version"] != 2.0 {
		t.Fatalf("draft preview: %d %v", code, p)
	}
	if f.n.Stats(t.Context()).Published != published {
		t.Fatal("a preview signed something")
	}
	none := `{"version":2,"strategy":1,"rules":[{"name":"parcels","target":2,"fixed_cents":450}]}`
	if code, m, _ := f.do("POST", "/v1/coop/rules/preview", `{"target":1,"distance_m":1000,"rules":`+none+`}`, f.token); code != http.StatusConflict || m["code"] != "no_rule_matched" || m["explanation"] == nil {
		t.Fatalf("no rule matched: %d %v", code, m)
	}
	if code, m, _ := f.do("POST", "/v1/coop/rules/preview", `{"target":1,"distance_m":1000,"rules":{"version":2,"strategy":9}}`, f.token); m["code"] != "bad_rules" {
		t.Fatalf("bad draft: %d %v", code, m)
	}
	if code, m, _ := f.do("POST", "/v1/coop/rules/preview", `{"target":7,"distance_m":1000}`, f.token); code != 400 || m["code"] != "bad_argument" {
		t.Fatalf("bad target: %d %v", code, m)
	}
}
