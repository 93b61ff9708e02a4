package mobile

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/market"
	"github.com/coopnode/coopnode/node"
)

// TestEveryCodeOnMobile (issue 11.2): every code of node's table reaches an
// app as "<code>: message", the code the HTTP API and the CLI give, whether
// the error comes from node (wrap), from a checkout refusal (marketError)
// or from the façade itself (errorf); ErrorCodes lists the table.
func TestEveryCodeOnMobile(t *testing.T) {
	var listed []node.CodeInfo
	if err := json.Unmarshal([]byte(ErrorCodes()), &listed); err != nil || len(listed) != len(node.Codes()) {
		t.Fatalf("ErrorCodes: %d codes, %v", len(listed), err)
	}
	for i, row := range node.Codes() {
		if listed[i].Code != row.Code || listed[i].Doc != row.Doc {
			t.Errorf("ErrorCodes[%d] = %+v, want %s", i, listed[i], row.Code)
		}
		var err error
		if len(row.Errs) > 0 {
			err = fmt.Errorf("somewhere: %w: sample", row.Errs[0])
			if got := errorf(row.Errs[0], "sample").Error(); !strings.HasPrefix(got, row.Code+": ") {
				t.Errorf("errorf(%s) = %q", row.Code, got)
			}
		} else {
			err = &node.RefusedError{Kind: "task.deliver", Reason: row.Code}
		}
		if got := wrap(err).Error(); !strings.HasPrefix(got, row.Code+": ") {
			t.Errorf("wrap: %q, want code %s", got, row.Code)
		}
		if market.Code(err) != "" {
			if got := marketError(err).Error(); !strings.HasPrefix(got, row.Code+": ") {
				t.Errorf("marketError: %q, want code %s", got, row.Code)
			}
		}
	}
}

// TestNullRequestsRefused (issue 12.7): a request of null, or any JSON that
// is not an object, is bad_json on every method (wrong_role on a method of
// the other role, checked first), never taken for {}.
func TestNullRequestsRefused(t *testing.T) {
	f := newFixture(t)
	for _, role := range []string{"courier", "customer"} {
		m, _ := f.phone(t.TempDir(), role, nil)
		for name, call := range jsonMethods(m) {
			for _, in := range []string{"null", " null ", "[]", "42", `"x"`, "true"} {
				_, err := call(in)
				if err != nil && strings.HasPrefix(err.Error(), codeWrongRole+": ") {
					continue
				}
				if err == nil || !strings.HasPrefix(err.Error(), codeBadJSON+": ") {
					t.Errorf("%s %s(%s): %v, want bad_json", role, name, in, err)
				}
			}
		}
	}
}
