package node

import (
	"reflect"
	"testing"
)

// TestActions (issue 11.2): every action of the vocabulary is a method of
// *Node under its name, mobile uses the same name, and no name, route or
// command is listed twice. The HTTP, mobile and CLI tests check their side.
func TestActions(t *testing.T) {
	typ := reflect.TypeOf(&Node{})
	seen := map[string]bool{}
	for _, a := range Actions {
		if _, ok := typ.MethodByName(a.Name); !ok {
			t.Errorf("action %s is not a method of *Node", a.Name)
		}
		if a.Mobile != "" && a.Mobile != a.Name && !(a.Name == "PersonalDataOf" && a.Mobile == "PersonalData") {
			t.Errorf("action %s is %s on mobile", a.Name, a.Mobile)
		}
		for _, k := range []string{"name " + a.Name, "http " + a.HTTP, "cli " + a.CLI} {
			if k == "http " || k == "cli " {
				continue
			}
			if seen[k] {
				t.Errorf("%s twice in the vocabulary", k)
			}
			seen[k] = true
		}
	}
}
