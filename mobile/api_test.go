package mobile

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
)

// apiDocTypes maps API.md's example labels to the Go types the node reads
// (requests, config) or writes (answers, callbacks).
var apiDocTypes = map[string]func() any{
	"Start config":               func() any { return new(config) },
	"SetConnectivity request":    func() any { return new(connectivity) },
	"SyncNow answer":             func() any { return new(syncResult) },
	"Status answer":              func() any { return new(statusView) },
	"GoOnShift request":          func() any { return new(shiftRequest) },
	"GoOnShift answer":           func() any { return new(shiftResult) },
	"GoOffShift answer":          func() any { return new(shiftResult) },
	"Jobs request":               func() any { return new(jobsRequest) },
	"Jobs answer":                func() any { return new(jobsResult) },
	"Claim request":              func() any { return new(claimRequest) },
	"Claim answer":               func() any { return new(claimResult) },
	"AwaitClaim request":         func() any { return new(awaitRequest) },
	"StartTask request":          func() any { return new(taskRequest) },
	"Pickup request":             func() any { return new(orderRequest) },
	"Pickup answer":              func() any { return new(actionResult) },
	"Deliver request":            func() any { return new(deliverRequest) },
	"Deliver answer":             func() any { return new(actionResult) },
	"Fail request":               func() any { return new(failRequest) },
	"Unassign request":           func() any { return new(releaseRequest) },
	"UpdatePosition request":     func() any { return new(position) },
	"UpdatePosition answer":      func() any { return new(positionResult) },
	"Earnings request":           func() any { return new(earningsRequest) },
	"Earnings answer":            func() any { return new(earningsResult) },
	"Restaurants request":        func() any { return new(restaurantsRequest) },
	"Restaurants answer":         func() any { return new(restaurantsResult) },
	"Menu request":               func() any { return new(menuRequest) },
	"Menu answer":                func() any { return new(menuResult) },
	"Quote request":              func() any { return new(cartRequest) },
	"Quote answer":               func() any { return new(quoteView) },
	"Quote refusal":              func() any { return new(refusalView) },
	"Slots request":              func() any { return new(slotsRequest) },
	"Slots answer":               func() any { return new(slotsResult) },
	"Checkout request":           func() any { return new(placeRequest) },
	"Checkout answer":            func() any { return new(placeResult) },
	"Cancel request":             func() any { return new(cancelRequest) },
	"FollowOrder request":        func() any { return new(orderRequest) },
	"Rate request":               func() any { return new(rateRequest) },
	"Rate answer":                func() any { return new(actionResult) },
	"PersonalData request":       func() any { return new(orderRequest) },
	"PersonalData answer":        func() any { return new(personalDataView) },
	"MyOrders request":           func() any { return new(myOrdersRequest) },
	"MyOrders answer":            func() any { return new(ordersResult) },
	"OnJobNearby callback":       func() any { return new(jobView) },
	"OnClaimResult callback":     func() any { return new(claimResult) },
	"OnOrderUpdate callback":     func() any { return new(trackingView) },
	"OnConnectionState callback": func() any { return new(connView) },
}

// TestAPIExamples: every JSON example in API.md decodes strictly into the
// type the node reads or writes, every label is known, and every JSON
// method and callback has its example.
func TestAPIExamples(t *testing.T) {
	doc, err := os.ReadFile("API.md")
	must(t, err)
	blocks := regexp.MustCompile("(?s)```json ([A-Za-z]+ [a-z]+)\n(.*?)```").FindAllSubmatch(doc, -1)
	seen := map[string]bool{}
	for _, b := range blocks {
		label, body := string(b[1]), b[2]
		mk, ok := apiDocTypes[label]
		if !ok {
			t.Errorf("API.md: unknown example label %q", label)
			continue
		}
		seen[label] = true
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(mk()); err != nil {
			t.Errorf("API.md example %q does not decode: %v", label, err)
		}
	}
	for label := range apiDocTypes {
		if !seen[label] {
			t.Errorf("API.md has no %q example", label)
		}
	}
	// every JSON method is documented with a request example
	var m *Node
	methods := jsonMethods(m)
	if len(methods) < 19 || len(blocks) < len(apiDocTypes) {
		t.Fatalf("found %d JSON methods and %d examples", len(methods), len(blocks))
	}
	for name := range methods {
		if !seen[name+" request"] {
			t.Errorf("API.md documents no request for %s", name)
		}
	}
	for _, cb := range []string{"OnJobNearby", "OnClaimResult", "OnOrderUpdate", "OnConnectionState"} {
		if !strings.Contains(string(doc), "### `"+cb) {
			t.Errorf("API.md has no section for %s", cb)
		}
	}
}
