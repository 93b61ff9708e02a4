package httpapi

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestGovernanceRoutes: a proposal opened, voted on and tallied over HTTP;
// bad requests refused with their codes (issue 16; SPEC.md §19).
func TestGovernanceRoutes(t *testing.T) {
	f := newFixture(t)
	if code, m, _ := f.do("POST", "/v1/coop/found", `{"name":"Vote Coop"}`, f.token); code != 201 && code != 200 {
		t.Fatalf("found: %d %v", code, m)
	}
	closes := time.Now().Add(time.Hour).UnixMilli()
	code, m, raw := f.do("POST", "/v1/proposals", fmt.Sprintf(`{"title":"Open on Sundays","closes":%d,"rule":3}`, closes), f.token)
	if code != 201 {
		t.Fatalf("propose: %d %s", code, raw)
	}
	id, _ := m["id"].(string)
	if code, _, raw := f.do("POST", "/v1/proposals/"+id+"/vote", `{"choice":1,"reason":"yes"}`, f.token); code != 200 {
		t.Fatalf("vote: %d %s", code, raw)
	}
	code, m, raw = f.do("GET", "/v1/proposals/"+id+"/tally", "", f.token)
	if code != 200 || m["status"] != "open" || m["agree"] != 1.0 || m["electorate"] != 1.0 || m["passed"] != true {
		t.Fatalf("tally: %d %s", code, raw)
	}
	if code, _, raw := f.do("GET", "/v1/proposals", "", f.token); code != 200 || !strings.Contains(string(raw), id) {
		t.Fatalf("proposals: %d %s", code, raw)
	}
	unknown := strings.Repeat("ab", 32)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"no title", "POST", "/v1/proposals", fmt.Sprintf(`{"closes":%d,"rule":1}`, closes), 400, "bad_argument"},
		{"closed already", "POST", "/v1/proposals", `{"title":"x","closes":1,"rule":1}`, 400, "bad_argument"},
		{"unknown field", "POST", "/v1/proposals", `{"title":"x","colses":1}`, 400, "bad_json"},
		{"bad id", "GET", "/v1/proposals/xyz/tally", "", 400, "bad_argument"},
		{"unknown proposal", "GET", "/v1/proposals/" + unknown + "/tally", "", 404, "not_found"},
		{"vote on no proposal", "POST", "/v1/proposals/" + unknown + "/vote", `{"choice":1}`, 409, "unknown_proposal"},
		{"choice 9", "POST", "/v1/proposals/" + id + "/vote", `{"choice":9}`, 400, "bad_argument"},
		{"delegate to oneself", "POST", "/v1/proposals/" + id + "/delegate", fmt.Sprintf(`{"to":"%s"}`, f.n.Key()), 409, "bad_field"},
		{"enact an advisory proposal", "POST", "/v1/proposals/" + id + "/enact", `{}`, 400, "bad_argument"},
		{"ill-formed constitution", "PUT", "/v1/coop/constitution", `{"matters":[{"matter":9}]}`, 400, "bad_argument"},
	} {
		code, m, raw := f.do(tc.method, tc.path, tc.body, f.token)
		if code != tc.status || m["code"] != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, raw, tc.status, tc.code)
		}
	}
	if code, _, raw := f.do("PUT", "/v1/coop/constitution", `{"matters":[{"matter":2,"rule":1,"role":1}]}`, f.token); code != 200 {
		t.Fatalf("amend: %d %s", code, raw)
	}
}
