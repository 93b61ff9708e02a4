package credential

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
)

// TestNumberSerialization: the IEEE 754 samples of RFC 8785 Appendix B
// (checked against node's JSON.stringify, the ECMAScript definition).
func TestNumberSerialization(t *testing.T) {
	for _, c := range []struct{ bits, want string }{
		{"0000000000000000", "0"},
		{"8000000000000000", "0"}, // minus zero
		{"0000000000000001", "5e-324"},
		{"8000000000000001", "-5e-324"},
		{"7fefffffffffffff", "1.7976931348623157e+308"},
		{"ffefffffffffffff", "-1.7976931348623157e+308"},
		{"4340000000000000", "9007199254740992"},
		{"c340000000000000", "-9007199254740992"},
		{"4430000000000000", "295147905179352830000"},
		{"44b52d02c7e14af5", "9.999999999999997e+22"},
		{"44b52d02c7e14af6", "1e+23"},
		{"44b52d02c7e14af7", "1.0000000000000001e+23"},
		{"444b1ae4d6e2ef4e", "999999999999999700000"},
		{"444b1ae4d6e2ef4f", "999999999999999900000"},
		{"444b1ae4d6e2ef50", "1e+21"},
		{"3eb0c6f7a0b5ed8c", "9.999999999999997e-7"},
		{"3eb0c6f7a0b5ed8d", "0.000001"},
		{"41b3de4355555553", "333333333.3333332"},
		{"41b3de4355555555", "333333333.3333333"},
		{"41b3de4355555557", "333333333.33333343"},
		{"becbf647612f3696", "-0.0000033333333333333333"},
		{"43143ff3c1cb0959", "1424953923781206.2"},
	} {
		u, _ := strconv.ParseUint(c.bits, 16, 64)
		got, err := appendNumber(nil, math.Float64frombits(u))
		if err != nil || string(got) != c.want {
			t.Errorf("%s: got %s, %v; want %s", c.bits, got, err, c.want)
		}
	}
	for _, f := range []float64{math.NaN(), math.Inf(1), math.Inf(-1)} {
		if _, err := appendNumber(nil, f); !errors.Is(err, ErrMalformed) {
			t.Errorf("%v: err = %v", f, err)
		}
	}
}

// TestCanonicalize: RFC 8785's rules on whole documents: members sorted by
// UTF-16 code units (an astral character sorts before U+E000..U+FFFF),
// the escapes, whitespace removed, numbers re-spelled, arrays kept in order.
func TestCanonicalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{`{ "b" : [ 3 , 1.0 , 2E1 , -0 ] , "a" : { } }`, `{"a":{},"b":[3,1,20,0]}`},
		{`{"\u20ac":1,"\ud83d\ude00":2,"\ufb33":3,"a":4,"\u0080":5}`, "{\"a\":4,\"\u0080\":5,\"\u20ac\":1,\"\U0001F600\":2,\"\ufb33\":3}"},
		{`"\u0000\u0008\t\n\u000b\f\r\u001f\"\\\/\u007f\u00e9\u2028"`, "\"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\\"\\\\/\u007f\u00e9\u2028\""},
		{`[true,false,null,"",[],{}]`, `[true,false,null,"",[],{}]`},
		{`1e400`, ``},
		{`{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}`,
			`{"peach":"This sorting order","péché":"is wrong according to French","pêche":"but canonicalization MUST","sin":"ignore locale"}`},
		{`{"1":{"f":{"f":"hi","F":5},"\n":56.0},"10":{},"":"empty","a":{},"111":[{"e":"yes","E":"no"}],"A":{}}`,
			`{"":"empty","1":{"\n":56,"f":{"F":5,"f":"hi"}},"10":{},"111":[{"E":"no","e":"yes"}],"A":{},"a":{}}`},
	} {
		got, err := CanonicalizeJSON([]byte(c.in))
		if c.want == "" {
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("%s: got %s, %v; want ErrMalformed", c.in, got, err)
			}
			continue
		}
		if err != nil || string(got) != c.want {
			t.Errorf("%s:\n got %s (%v)\nwant %s", c.in, got, err, c.want)
		}
	}
}

// TestParseRefusals: everything that is not one I-JSON value is
// ErrMalformed, never a panic.
func TestParseRefusals(t *testing.T) {
	for name, in := range map[string]string{
		"empty":              ``,
		"trailing":           `{} {}`,
		"duplicate member":   `{"a":1,"a":1}`,
		"duplicate escaped":  `{"a":1,"\u0061":2}`,
		"lone high":          `"\ud800"`,
		"lone low":           `"\udc00"`,
		"high then not low":  `"\ud800\u0041"`,
		"invalid UTF-8":      "\"\xff\"",
		"overlong UTF-8":     "\"\xc0\xaf\"",
		"raw control":        "\"a\nb\"",
		"bad escape":         `"\x"`,
		"short unicode":      `"\u12"`,
		"leading zero":       `01`,
		"plus sign":          `+1`,
		"bare dot":           `1.`,
		"no exponent digits": `1e`,
		"out of range":       `-1e309`,
		"NaN":                `NaN`,
		"single quotes":      `{'a':1}`,
		"trailing comma":     `[1,]`,
		"missing colon":      `{"a" 1}`,
		"unterminated":       `{"a":"b`,
		"too deep":           strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1),
		"too large":          `"` + strings.Repeat("a", MaxSize) + `"`,
		"comment":            `{} // x`,
		"truncated true":     `tru`,
	} {
		if v, err := Parse([]byte(in)); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Parse = %v, %v; want ErrMalformed", name, v, err)
		}
	}
	deep := strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth)
	if _, err := Parse([]byte(deep)); err != nil {
		t.Errorf("depth %d refused: %v", MaxDepth, err)
	}
}

// TestCanonicalFormIsJSON: what Canonicalize writes, encoding/json reads
// back to the same value, and canonicalising it again changes nothing.
func TestCanonicalFormIsJSON(t *testing.T) {
	in := `{"z":[1e-7,1e21,0.1,-3],"é":"\u001f\u2028\ud83d\ude00","a":{"b":null,"c":true}}`
	c1, err := CanonicalizeJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	c2, err := CanonicalizeJSON(c1)
	if err != nil || string(c1) != string(c2) {
		t.Fatalf("not idempotent: %s then %s (%v)", c1, c2, err)
	}
	var a, b any
	if err := json.Unmarshal([]byte(in), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(c1, &b); err != nil {
		t.Fatal(err)
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if string(ja) != string(jb) {
		t.Fatalf("value changed: %s vs %s", ja, jb)
	}
}
