package httpapi

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stripe/stripe-go/v82/webhook"
)

// TestAPIPayments: the payment routes' refusals, each with its code; the
// account is write-only; the webhook listener serves one route, refuses a
// forged or stale webhook and answers nothing without an account. The
// flows against stripe-mock are node/pay_test.go's.
func TestAPIPayments(t *testing.T) {
	f := newFixture(t)
	f.do("POST", "/v1/coop/found", `{"name":"Pay Coop","currency":"EUR"}`, f.token)
	wh := httptest.NewServer(WebhookHandler(f.n))
	t.Cleanup(wh.Close)
	post := func(path, body string, h http.Header) (int, string) {
		req, _ := http.NewRequest("POST", wh.URL+path, strings.NewReader(body))
		for k, v := range h {
			req.Header[k] = v
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	body := `{"id":"evt_1","object":"event","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1","object":"payment_intent","amount":100,"currency":"eur","status":"succeeded"}}}`
	sign := func(secret string, at time.Time) http.Header {
		sp := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: []byte(body), Secret: secret, Timestamp: at})
		return http.Header{"Stripe-Signature": {sp.Header}}
	}

	if code, b := post(WebhookPath, body, sign("whsec_a", time.Now())); code != http.StatusConflict || !strings.Contains(b, `"payments_off"`) {
		t.Fatalf("no account: %d %s", code, b)
	}
	for _, c := range []struct {
		name, path, method, body string
		status                   int
		code                     string
	}{
		{"account: not stripe", "/v1/payments/account", "PUT", `{"provider":"paypal","secret_key":"sk_x"}`, 400, "bad_argument"},
		{"account: a publishable key", "/v1/payments/account", "PUT", `{"provider":"stripe","secret_key":"pk_test_x"}`, 400, "bad_argument"},
		{"account: unknown field", "/v1/payments/account", "PUT", `{"provider":"stripe","secret":"sk_x"}`, 400, "bad_json"},
		{"poll without an account", "/v1/payments/poll", "POST", ``, 409, "payments_off"},
		{"pay: not an order ID", "/v1/orders/xyz/pay", "POST", ``, 400, "bad_argument"},
		{"pay: unknown order", "/v1/orders/" + strings.Repeat("ab", 32) + "/pay", "POST", ``, 404, "not_found"},
		{"payment: bad state", "/v1/orders/" + strings.Repeat("ab", 32) + "/payment", "POST", `{"state":"pending"}`, 400, "bad_argument"},
		{"payment: unknown order", "/v1/orders/" + strings.Repeat("ab", 32) + "/payment", "POST", `{"state":"paid"}`, 404, "not_found"},
		{"invoice: bad month", "/v1/exports/invoice.csv?month=03-2026", "GET", ``, 400, "bad_argument"},
		{"invoice: no restaurant", "/v1/exports/invoice.csv?month=2026-03", "GET", ``, 409, "bad_filter"},
	} {
		if code, m, _ := f.do(c.method, c.path, c.body, f.token); code != c.status || m["code"] != c.code {
			t.Errorf("%s: %d %v, want %d %s", c.name, code, m, c.status, c.code)
		}
	}
	if code, _, raw := f.do("GET", "/v1/exports/payments.csv", ``, f.token); code != 200 || !strings.HasPrefix(string(raw), "day,order,kind,status,restaurant") {
		t.Fatalf("payments export: %d %s", code, raw)
	}
	code, m, raw := f.do("PUT", "/v1/payments/account", `{"provider":"stripe","secret_key":"sk_test_hidden","webhook_secret":"whsec_a","api_base":"http://127.0.0.1:1"}`, f.token)
	if code != 200 || m["set"] != true || strings.Contains(string(raw), "sk_test_hidden") {
		t.Fatalf("set account: %d %s", code, raw)
	}
	code, m, raw = f.do("GET", "/v1/payments/account", ``, f.token)
	if code != 200 || m["set"] != true || m["provider"] != "stripe" || strings.Contains(string(raw), "sk_test") || strings.Contains(string(raw), "whsec") {
		t.Fatalf("get account: %d %s", code, raw)
	}
	if code, m, _ := f.do("POST", "/v1/payments/poll", ``, f.token); code != 200 || m["calls"] != 0.0 {
		t.Fatalf("poll with nothing open: %d %v", code, m)
	}
	for _, c := range []struct {
		name   string
		h      http.Header
		status int
		code   string
	}{
		{"forged: another secret", sign("whsec_b", time.Now()), 400, "webhook_bad_signature"},
		{"forged: unsigned", http.Header{}, 400, "webhook_bad_signature"},
		{"replayed: signed an hour ago", sign("whsec_a", time.Now().Add(-time.Hour)), 400, "webhook_replayed"},
		// verified, then the payment is unknown here
		{"no such payment", sign("whsec_a", time.Now()), 409, "payment_mismatch"},
		{"the same event again", sign("whsec_a", time.Now()), 400, "webhook_replayed"},
	} {
		if code, b := post(WebhookPath, body, c.h); code != c.status || !strings.Contains(b, `"`+c.code+`"`) {
			t.Errorf("%s: %d %s, want %d %s", c.name, code, b, c.status, c.code)
		}
	}
	if code, b := post("/v1/status", body, nil); code != 404 {
		t.Fatalf("other path on the webhook listener: %d %s", code, b)
	}
	if resp, err := http.Get(wh.URL + WebhookPath); err != nil || resp.StatusCode != 405 {
		t.Fatalf("GET on the webhook: %v %v", resp, err)
	}
}
