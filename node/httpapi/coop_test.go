package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestShiftRoutes: a shift planned, signed up for, offered and listed
// over HTTP, the board read; bad requests and refusals answered with their
// codes (issue 16; SPEC.md §21.1, §21.2).
func TestShiftRoutes(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"Shift Coop"}`, f.token); code != 201 && code != 200 {
		t.Fatalf("found: %d %v", code, m)
	}
	start := time.Now().Add(2 * time.Hour).UnixMilli()
	plan := fmt.Sprintf(`{"start":%d,"end":%d,"needed":2,"guarantee_cents":1200}`, start, start+3*3600_000)
	code, m, raw := f.do("POST", "/v1/shifts", plan, f.token)
	if code != 201 {
		t.Fatalf("plan: %d %s", code, raw)
	}
	id, _ := m["id"].(string)
	if code, _, raw := f.do("POST", "/v1/shifts/"+id+"/signup", `{}`, f.token); code != 403 || !strings.Contains(string(raw), "not_courier") {
		t.Fatalf("sign-up by a non-courier: %d %s", code, raw)
	}
	if code, _, raw := f.do("POST", "/v1/coop/members", fmt.Sprintf(`{"member":"%s","roles":["admin","dispatcher","courier"]}`, f.n.Key()), f.token); code != 200 {
		t.Fatalf("admit self as courier: %d %s", code, raw)
	}
	if code, _, raw := f.do("POST", "/v1/shifts/"+id+"/signup", `{}`, f.token); code != 200 {
		t.Fatalf("sign-up: %d %s", code, raw)
	}
	code, m, raw = f.do("POST", "/v1/shifts/"+id+"/offer", `{}`, f.token)
	if code != 201 {
		t.Fatalf("offer: %d %s", code, raw)
	}
	offer, _ := m["id"].(string)
	if code, _, raw := f.do("GET", "/v1/shifts", "", f.token); code != 200 || !strings.Contains(string(raw), f.n.Key().String()) || !strings.Contains(string(raw), `"status":"open"`) {
		t.Fatalf("shifts: %d %s", code, raw)
	}
	if code, _, raw := f.do("GET", "/v1/board?lat_e6=47218000&lon_e6=-1553000", "", f.token); code != 200 || string(raw) != "[]\n" {
		t.Fatalf("board: %d %q", code, raw)
	}
	unknown := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"no seats", "POST", "/v1/shifts", fmt.Sprintf(`{"start":%d,"end":%d}`, start, start+3600_000), 400, "bad_argument"},
		{"unknown field", "POST", "/v1/shifts", `{"begin":1}`, 400, "bad_json"},
		{"bad id", "POST", "/v1/shifts/xyz/signup", `{}`, 400, "bad_argument"},
		{"no such shift", "POST", "/v1/shifts/" + unknown + "/signup", `{}`, 409, "unknown_shift"},
		{"twice", "POST", "/v1/shifts/" + id + "/signup", `{}`, 409, "already_on_shift"},
		{"own offer", "POST", "/v1/offers/" + offer + "/accept", `{}`, 409, "bad_field"},
		{"no such offer", "POST", "/v1/offers/" + unknown + "/accept", `{}`, 409, "unknown_offer"},
		{"board off the globe", "GET", "/v1/board?lat_e6=95000000&lon_e6=0", "", 400, "bad_argument"},
	} {
		code, m, raw := f.do(tc.method, tc.path, tc.body, f.token)
		if code != tc.status || m["code"] != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, raw, tc.status, tc.code)
		}
	}
	if code, _, raw := f.do("POST", "/v1/shifts/"+id+"/drop", `{"reason":"ill"}`, f.token); code != 200 {
		t.Fatalf("drop: %d %s", code, raw)
	}
}

// TestBooksRoute: the open books as JSON and as canonical text whose
// SHA-256 is the digest; a bad period or format refused (SPEC.md §21.3).
func TestBooksRoute(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"Books Coop","timezone":"Europe/Paris"}`, f.token); code != 201 && code != 200 {
		t.Fatalf("found: %d %v", code, m)
	}
	code, m, raw := f.do("GET", "/v1/books?from=2026-01-01&to=2026-12-31", "", f.token)
	digest, _ := m["digest"].(string)
	if code != 200 || len(digest) != 64 {
		t.Fatalf("books: %d %s", code, raw)
	}
	code, _, raw = f.do("GET", "/v1/books?from=2026-01-01&to=2026-12-31&format=csv", "", f.token)
	sum := sha256.Sum256(raw)
	if code != 200 || !strings.HasPrefix(string(raw), "coopnode books v1\nperiod,2026-01-01,2026-12-31\n[orders]\n") || hex.EncodeToString(sum[:]) != digest {
		t.Fatalf("canonical books: %d %q, digest %s", code, raw, digest)
	}
	for _, q := range []string{"?from=yesterday", "?to=2026-13-01", "?format=pdf"} {
		if code, m, raw := f.do("GET", "/v1/books"+q, "", f.token); code != 400 || m["code"] != "bad_argument" {
			t.Errorf("%s: %d %s", q, code, raw)
		}
	}
}

// TestFeedbackRoutes: ratings, incidents and reputation over HTTP; bad
// requests refused with their codes (SPEC.md §21.4).
func TestFeedbackRoutes(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"Feedback Coop"}`, f.token); code != 201 && code != 200 {
		t.Fatalf("found: %d %v", code, m)
	}
	me := f.n.Key().String()
	code, m, raw := f.do("GET", "/v1/reputation/"+me+"?as=courier", "", f.token)
	if code != 200 || m["jobs"] != 0.0 || m["shown"] != false {
		t.Fatalf("reputation: %d %s", code, raw)
	}
	unknown := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"six stars", "POST", "/v1/orders/" + unknown + "/feedback", `{"of":1,"stars":6}`, 400, "bad_argument"},
		{"no party", "POST", "/v1/orders/" + unknown + "/feedback", `{"stars":3}`, 400, "bad_argument"},
		{"unknown field", "POST", "/v1/orders/" + unknown + "/feedback", `{"of":1,"star":3}`, 400, "bad_json"},
		{"bad order id", "POST", "/v1/orders/xyz/incident", `{"category":"late"}`, 400, "bad_argument"},
		{"no such category", "POST", "/v1/orders/" + unknown + "/incident", `{"category":"vibes"}`, 400, "bad_argument"},
		{"reputation as customer", "GET", "/v1/reputation/" + me + "?as=customer", "", 400, "bad_argument"},
		{"reputation of no key", "GET", "/v1/reputation/zoe", "", 400, "bad_argument"},
	} {
		code, m, raw := f.do(tc.method, tc.path, tc.body, f.token)
		if code != tc.status || m["code"] != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, raw, tc.status, tc.code)
		}
	}
	if code, _, raw := f.do("POST", "/v1/orders/"+unknown+"/incident", `{"category":"late"}`, f.token); code < 400 {
		t.Errorf("incident on no order: %d %s", code, raw)
	}
}

// TestCredentialRoutes: the work record export refused until the
// constitution designates this node's key, then issued and verified over
// HTTP; an admission with a tampered record refused (SPEC.md §21.5).
func TestCredentialRoutes(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"Issuer Coop"}`, f.token); code != 201 && code != 200 {
		t.Fatalf("found: %d %v", code, m)
	}
	me := f.n.Key().String()
	body := fmt.Sprintf(`{"courier":"%s","valid_days":30}`, me)
	if code, m, raw := f.do("POST", "/v1/credentials/export", body, f.token); code != 403 || m["code"] != "not_issuer" {
		t.Fatalf("export before designation: %d %s", code, raw)
	}
	if code, _, raw := f.do("PUT", "/v1/coop/constitution", fmt.Sprintf(`{"credential_issuer":"%s"}`, me), f.token); code != 200 {
		t.Fatalf("designate: %d %s", code, raw)
	}
	if code, m, raw := f.do("POST", "/v1/credentials/export", body, f.token); code != 400 || m["code"] != "bad_argument" {
		t.Fatalf("export for a non-courier: %d %s", code, raw)
	}
	if code, _, raw := f.do("POST", "/v1/coop/members", fmt.Sprintf(`{"member":"%s","roles":["admin","courier"]}`, me), f.token); code != 200 {
		t.Fatalf("admit self as courier: %d %s", code, raw)
	}
	code, _, cred := f.do("POST", "/v1/credentials/export", body, f.token)
	if code != 200 || !strings.Contains(string(cred), `"eddsa-jcs-2022"`) {
		t.Fatalf("export: %d %s", code, cred)
	}
	code, m, raw := f.do("POST", "/v1/credentials/verify", fmt.Sprintf(`{"credential":%s,"subject":"%s"}`, cred, me), f.token)
	if code != 200 || m["issuer_name"] != "Issuer Coop" {
		t.Fatalf("verify: %d %s", code, raw)
	}
	tampered := strings.Replace(string(cred), `"shiftsWorked": 0`, `"shiftsWorked": 9`, 1)
	if tampered == string(cred) {
		t.Fatalf("nothing to tamper with in %s", cred)
	}
	other := strings.Repeat("cd", 32)
	for _, tc := range []struct {
		name, path, body string
		status           int
		code             string
	}{
		{"tampered", "/v1/credentials/verify", fmt.Sprintf(`{"credential":%s}`, tampered), 409, "tampered"},
		{"someone else's", "/v1/credentials/verify", fmt.Sprintf(`{"credential":%s,"subject":"%s"}`, cred, other), 409, "wrong_subject"},
		{"no credential", "/v1/credentials/verify", `{}`, 400, "bad_argument"},
		{"admit on a tampered record", "/v1/coop/members", fmt.Sprintf(`{"member":"%s","roles":["courier"],"credential":%s}`, me, tampered), 409, "tampered"},
		{"export for no one", "/v1/credentials/export", `{}`, 400, "bad_argument"},
	} {
		code, m, raw := f.do("POST", tc.path, tc.body, f.token)
		if code != tc.status || m["code"] != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, raw, tc.status, tc.code)
		}
	}
}
