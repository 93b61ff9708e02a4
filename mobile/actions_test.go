package mobile

import (
	"reflect"
	"testing"

	"github.com/coopnode/coopnode/node"
)

// TestActionsOnMobile (issue 11.2): every action node's vocabulary gives
// the façade is a method of *Node here under that name (Pickup, not
// PickUp; Checkout, not PlaceOrder).
func TestActionsOnMobile(t *testing.T) {
	typ := reflect.TypeOf(&Node{})
	n := 0
	for _, a := range node.Actions {
		if a.Mobile == "" {
			continue
		}
		n++
		if _, ok := typ.MethodByName(a.Mobile); !ok {
			t.Errorf("action %s: mobile has no method %s", a.Name, a.Mobile)
		}
	}
	for _, old := range []string{"PickUp", "Release", "ReportFailure", "PriceCart", "PlaceOrder", "CancelOrder"} {
		if _, ok := typ.MethodByName(old); ok {
			t.Errorf("mobile still has %s, a second name for an action", old)
		}
	}
	if n < 10 {
		t.Fatalf("only %d mobile actions in the vocabulary", n)
	}
}
