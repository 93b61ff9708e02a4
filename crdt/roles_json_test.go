package crdt

import (
	"encoding/json"
	"testing"
)

// TestRolesJSON: roles read and write their names in JSON, still read the
// integer, and refuse unknown names.
func TestRolesJSON(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Roles
		out  string
	}{
		{`["courier", "admin"]`, RoleCourier | RoleAdmin, `["courier","admin"]`},
		{`"restaurant,admin"`, RoleRestaurant | RoleAdmin, `["admin","restaurant"]`},
		{`5`, RoleCourier | RoleAdmin, `["courier","admin"]`},
		{`0`, 0, `[]`},
		{`[]`, 0, `[]`},
		{`33`, RoleCourier | 32, `["courier",32]`},
	} {
		var r Roles
		if err := json.Unmarshal([]byte(c.in), &r); err != nil || r != c.want {
			t.Errorf("%s: %v, %v; want %v", c.in, r, err, c.want)
		}
		if b, _ := json.Marshal(r); string(b) != c.out {
			t.Errorf("%s: marshals as %s, want %s", c.in, b, c.out)
		}
	}
	for _, bad := range []string{`["boss"]`, `"Courier"`, `-1`, `true`, `{}`} {
		var r Roles
		if err := json.Unmarshal([]byte(bad), &r); err == nil {
			t.Errorf("%s: accepted as %v", bad, r)
		}
	}
}

// FuzzJSONNames: the JSON decoders of roles and fulfilment never panic,
// and what they accept writes back to JSON they read as the same value.
func FuzzJSONNames(f *testing.F) {
	for _, s := range []string{`["courier","admin"]`, `"delivery,collection"`, `5`, `[]`, `"x"`, `null`, `[1]`, `4294967295`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Roles
		if json.Unmarshal(b, &r) == nil {
			out, err := json.Marshal(r)
			var back Roles
			known := r&^allRoles == 0 // unknown bits are written as numbers, which a list of names cannot hold
			if err != nil || known && (json.Unmarshal(out, &back) != nil || back != r) {
				t.Fatalf("roles %s: %v → %s → %v", b, r, out, back)
			}
		}
		var fu Fulfilment
		if json.Unmarshal(b, &fu) == nil {
			out, err := json.Marshal(fu)
			var back Fulfilment
			known := fu&^(FulfilDelivery|FulfilCollection) == 0
			if err != nil || known && (json.Unmarshal(out, &back) != nil || back != fu) {
				t.Fatalf("fulfilment %s: %v → %s → %v", b, fu, out, back)
			}
		}
	})
}
