package crdt

import (
	"encoding/json"
	"fmt"
	"strings"
)

// In JSON (the HTTP API), a set of roles is the list of its names,
// ["courier", "admin"], as requests already name them; on the wire (CBOR)
// it stays the uint32 bit set of SPEC.md §5.2. The integer is still read.

// MarshalJSON writes the role names; bits without a name are written as
// numbers, so nothing is hidden.
func (r Roles) MarshalJSON() ([]byte, error) {
	out := []any{}
	for _, n := range r.RoleNames() {
		out = append(out, n)
	}
	if rest := uint32(r &^ allRoles); rest != 0 {
		out = append(out, rest)
	}
	return json.Marshal(out)
}

// UnmarshalJSON reads a list of role names, comma-separated names, or the
// integer bit set.
func (r *Roles) UnmarshalJSON(b []byte) error {
	var n uint32
	if err := json.Unmarshal(b, &n); err == nil {
		*r = Roles(n)
		return nil
	}
	var names []string
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		names = strings.Split(s, ",")
	} else if err := json.Unmarshal(b, &names); err != nil {
		return fmt.Errorf("roles: want a list of role names such as [\"courier\"], got %s", b)
	}
	var out Roles
	for _, name := range names {
		ro, ok := ParseRole(strings.TrimSpace(name))
		if !ok {
			return fmt.Errorf("roles: unknown role %q (want courier, dispatcher, admin, restaurant or shop)", name)
		}
		out |= ro
	}
	*r = out
	return nil
}
