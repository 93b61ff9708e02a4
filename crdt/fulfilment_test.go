package crdt

import (
	"encoding/json"
	"testing"
)

// TestFulfilmentJSON: fulfilment reads and writes its names in JSON, still
// reads numbers, and refuses anything else; its CBOR stays an integer.
func TestFulfilmentJSON(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Fulfilment
		out  string
	}{
		{`"delivery"`, FulfilDelivery, `"delivery"`},
		{`"collection"`, FulfilCollection, `"collection"`},
		{`"delivery,collection"`, FulfilDelivery | FulfilCollection, `"delivery,collection"`},
		{`["collection", "delivery"]`, FulfilDelivery | FulfilCollection, `"delivery,collection"`},
		{`1`, FulfilDelivery, `"delivery"`},
		{`3`, FulfilDelivery | FulfilCollection, `"delivery,collection"`},
		{`0`, 0, `"0"`},
		{`6`, 6, `"collection,4"`},
	} {
		var f Fulfilment
		if err := json.Unmarshal([]byte(c.in), &f); err != nil || f != c.want {
			t.Errorf("%s: %v, %v; want %v", c.in, f, err, c.want)
		}
		if b, _ := json.Marshal(f); string(b) != c.out {
			t.Errorf("%s: marshals as %s, want %s", c.in, b, c.out)
		}
		var back Fulfilment
		if c.want&^(FulfilDelivery|FulfilCollection) != 0 {
			continue // unknown bits have no name to read back
		}
		if err := json.Unmarshal([]byte(c.out), &back); err != nil || back != f {
			t.Errorf("%s: round trip gives %v, %v", c.out, back, err)
		}
	}
	for _, bad := range []string{`"deliver"`, `"Delivery"`, `-1`, `256`, `true`, `{}`, `[1]`, `null`} {
		var f Fulfilment
		err := json.Unmarshal([]byte(bad), &f)
		if bad == `null` { // JSON null leaves a value as it is
			continue
		}
		if err == nil {
			t.Errorf("%s: accepted as %v", bad, f)
		}
	}
}
