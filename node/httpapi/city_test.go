package httpapi

import (
	"testing"

	"github.com/coopnode/coopnode/node"
)

// TestAPICity: GET /v1/city lists no coop while the node follows no city;
// POST /v1/city follows one (a bad name refused bad_argument, a second city
// refused too); the coop's published card is then listed with its fields.
func TestAPICity(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/v1/coop/found", `{"name":"City Coop","timezone":"Europe/Paris"}`, f.token)
	if code, m, _ := f.do("GET", "/v1/city", "", f.token); code != 200 || m["city"] != "" || len(m["coops"].([]any)) != 0 {
		t.Fatalf("no city: %d %v", code, m)
	}
	for _, bad := range []string{`{"city":"  "}`, `{}`, `{"city":"a\nb"}`} {
		if code, m, _ := f.do("POST", "/v1/city", bad, f.token); code != 400 || m["code"] != "bad_argument" {
			t.Fatalf("bad city %s: %d %v", bad, code, m)
		}
	}
	if code, m, _ := f.do("POST", "/v1/city", `{"city":" Nantes "}`, f.token); code != 200 || m["city"] != "nantes" {
		t.Fatalf("follow: %d %v", code, m)
	}
	if code, m, _ := f.do("POST", "/v1/city", `{"city":"Lyon"}`, f.token); code != 400 || m["code"] != "bad_argument" {
		t.Fatalf("second city: %d %v", code, m)
	}
	if _, err := f.n.PublishCard(t.Context(), node.CardInfo{City: "Nantes", Zones: []string{"centre", "ile"}, Contact: "hello@city.coop"}); err != nil {
		t.Fatal(err)
	}
	code, m, _ := f.do("GET", "/v1/city", "", f.token)
	coops, _ := m["coops"].([]any)
	if code != 200 || len(coops) != 1 {
		t.Fatalf("city: %d %v", code, m)
	}
	c := coops[0].(map[string]any)
	if c["name"] != "City Coop" || c["coop"] != f.n.Coop().String() || c["contact"] != "hello@city.coop" ||
		len(c["zones"].([]any)) != 2 || c["signed_at"] == nil || c["city"] != "nantes" {
		t.Fatalf("card: %v", c)
	}
	if code, _, _ := f.do("GET", "/v1/city", "", ""); code != 401 {
		t.Fatalf("no token: %d", code)
	}
}
