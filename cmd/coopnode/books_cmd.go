package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"time"
)

// coopnode books: the coop's open books (issue 16; SPEC.md §21.3).
func init() {
	addClient("books", "print the coop's open books as canonical CSV, then their digest", "[-from YYYY-MM-DD] [-to YYYY-MM-DD]", 0, func(fs *flagSet) clientAction {
		from := fs.String("from", "", "first local day (default: the first with a line)")
		to := fs.String("to", "", "last local day (default: the last with a line)")
		return func(iv *invocation) error {
			q := url.Values{}
			for name, v := range map[string]string{"from": *from, "to": *to} {
				if v == "" {
					continue
				}
				if _, err := time.Parse("2006-01-02", v); err != nil {
					return usagef("-%s %q: want a date as YYYY-MM-DD", name, v)
				}
				q.Set(name, v)
			}
			if iv.json || iv.field != "" {
				return iv.call("GET", "/v1/books?"+q.Encode(), nil, nil)
			}
			return iv.call("GET", "/v1/books?"+q.Encode(), nil, fmtBooks)
		}
	})
}

// fmtBooks prints the canonical text (SPEC.md §21.3.2) rebuilt from the
// JSON answer's tables, then "digest,HEX": the SHA-256 of every line
// before it, which anyone can recompute (head -n -1 | sha256sum).
// The text is checked against the digest before it is printed.
func fmtBooks(out io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	var w bytes.Buffer
	p := sub(m, "period")
	fmt.Fprintf(&w, "coopnode books v1\nperiod,%s,%s\n", str(p, "from"), str(p, "to"))
	for _, name := range []string{"orders", "shifts", "rules", "payments"} {
		t := sub(m, name)
		if name == "payments" && len(list(t, "rows")) == 0 {
			continue // present only when an order has a payment (SPEC.md §21.3.2)
		}
		fmt.Fprintf(&w, "[%s]\n", name)
		for _, row := range append([]any{t["header"]}, list(t, "rows")...) {
			cells, _ := row.([]any)
			for i, c := range cells {
				if i > 0 {
					w.WriteString(",")
				}
				fmt.Fprint(&w, c)
			}
			w.WriteString("\n")
		}
	}
	sum := sha256.Sum256(w.Bytes())
	if d := str(m, "digest"); d != hex.EncodeToString(sum[:]) {
		return fmt.Errorf("the books' text does not give the digest the node sent (%.16s…): an older or other node version?", d)
	}
	fmt.Fprintf(&w, "digest,%x\n", sum)
	_, err = out.Write(w.Bytes())
	return err
}

func list(m obj, k string) []any {
	l, _ := m[k].([]any)
	return l
}
