package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/node"
)

// sampleError is an error that carries row's code: its first sentinel,
// wrapped, or a refusal with it as reason.
func sampleError(row node.CodeInfo) error {
	if len(row.Errs) > 0 {
		return fmt.Errorf("somewhere: %w: sample", row.Errs[0])
	}
	return &node.RefusedError{Kind: "task.deliver", Reason: row.Code}
}

// TestEveryCodeOverHTTP (issue 11.2): every code of node's table reaches an
// HTTP client as the JSON error {"code": <code>} with the table's status.
func TestEveryCodeOverHTTP(t *testing.T) {
	for _, e := range []error{ErrNotLoopback, ErrNoToken} {
		if node.Code(e) != "bad_argument" {
			t.Errorf("%v: code %q", e, node.Code(e))
		}
	}
	for _, row := range node.Codes() {
		rec := httptest.NewRecorder()
		fail(rec, sampleError(row))
		var b errorBody
		if err := json.Unmarshal(rec.Body.Bytes(), &b); err != nil {
			t.Fatalf("%s: %v: %q", row.Code, err, rec.Body)
		}
		if rec.Code != row.Status || b.Code != row.Code || b.Error == "" ||
			!strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") {
			t.Errorf("%s: got %d %+v, want %d %s", row.Code, rec.Code, b, row.Status, row.Code)
		}
	}
}

// TestActionsHaveRoutes (issue 11.2): every action of node's vocabulary
// with an HTTP route is served there (a request may be refused, but never
// as no_route or method_not_allowed).
func TestActionsHaveRoutes(t *testing.T) {
	f := newFixture(t)
	n := 0
	for _, a := range node.Actions {
		if a.HTTP == "" {
			continue
		}
		n++
		method, path, _ := strings.Cut(a.HTTP, " ")
		path = strings.NewReplacer("{id}", strings.Repeat("ab", 32), "{key}", strings.Repeat("cd", 32), "{file}", "orders.csv").Replace(path)
		body := ""
		if method != "GET" {
			body = "{}"
		}
		code, m, raw := f.do(method, path, body, f.token)
		if c, _ := m["code"].(string); c == "no_route" || c == "method_not_allowed" || code == 0 {
			t.Errorf("%s (%s): %d %s", a.Name, a.HTTP, code, raw)
		}
	}
	if n < 30 {
		t.Fatalf("only %d HTTP actions in the vocabulary", n)
	}
}
