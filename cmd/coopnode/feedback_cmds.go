package main

import (
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"
)

// Ratings both ways, incidents and reputation (issue 16; SPEC.md §21.4).

var parties = map[string]uint8{"courier": 1, "restaurant": 2, "customer": 3}

func init() {
	addClient("feedback", "rate another party of a finished order (its restaurant or courier)",
		"-of courier|restaurant|customer -stars 1-5 [-comment TEXT] ORDER", 1, func(fs *flagSet) clientAction {
			of := fs.String("of", "", "the party rated: courier, restaurant or customer (required)")
			stars := fs.Uint("stars", 0, "stars, 1-5 (required)")
			comment := fs.String("comment", "", "a comment")
			return func(iv *invocation) error {
				if err := checkHexPrefix("order ID", iv.args[0]); err != nil {
					return err
				}
				p, ok := parties[*of]
				if !ok {
					return usagef("-of %q: want courier, restaurant or customer", *of)
				}
				if *stars < 1 || *stars > 5 {
					return usagef("-stars goes from 1 to 5")
				}
				id, err := iv.order(0)
				if err != nil {
					return err
				}
				return iv.call("POST", "/v1/orders/"+id+"/feedback", map[string]any{"of": p, "stars": *stars, "comment": *comment}, fmtDone)
			}
		})
	addClient("incident", "report an incident on an order", "-category NAME [-against courier|restaurant|customer] [-text TEXT] ORDER", 1, func(fs *flagSet) clientAction {
		category := fs.String("category", "", "late, damaged, missing_item, wrong_address, unsafe, rude, no_show or other (required)")
		against := fs.String("against", "", "the party at fault, if any")
		text := fs.String("text", "", "what happened")
		return func(iv *invocation) error {
			if err := checkHexPrefix("order ID", iv.args[0]); err != nil {
				return err
			}
			if *category == "" {
				return usagef("-category is required: late, damaged, missing_item, wrong_address, unsafe, rude, no_show or other")
			}
			p, ok := parties[*against]
			if !ok && *against != "" {
				return usagef("-against %q: want courier, restaurant or customer", *against)
			}
			id, err := iv.order(0)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/orders/"+id+"/incident", map[string]any{"category": *category, "against": p, "text": *text}, fmtDone)
		}
	})
	addClient("reputation", "a courier's or restaurant's record: jobs, on time, ratings by the bias rules", "-member KEY [-as courier|restaurant] [-days N]", 0, func(fs *flagSet) clientAction {
		member := fs.String("member", "", "the member (key, hex or unambiguous prefix; required)")
		as := fs.String("as", "courier", "courier or restaurant")
		days := fs.Int("days", 0, "only the orders finished in the last N days (0: all)")
		return func(iv *invocation) error {
			if *member == "" {
				return usagef("-member is required")
			}
			if *as != "courier" && *as != "restaurant" {
				return usagef("-as %q: want courier or restaurant", *as)
			}
			if *days < 0 {
				return usagef("-days %d: want 0 or more", *days)
			}
			k, err := iv.member("-member", *member)
			if err != nil {
				return err
			}
			q := url.Values{"as": {*as}}
			if *days > 0 {
				q.Set("from", fmt.Sprint(time.Now().AddDate(0, 0, -*days).UnixMilli()))
			}
			return iv.call("GET", "/v1/reputation/"+k+"?"+q.Encode(), nil, fmtReputation)
		}
	})
}

func fmtReputation(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %d jobs, %d delivered, %d on time\n", short(str(m, "member")), int(num(m, "jobs")), int(num(m, "delivered")), int(num(m, "on_time")))
	if v, _ := m["shown"].(bool); v {
		fmt.Fprintf(w, "rating %.2f from %d ratings by %d raters\n", num(m, "mean_centistars")/100, int(num(m, "ratings")), int(num(m, "raters")))
	} else {
		fmt.Fprintf(w, "rating not shown: %d ratings by %d raters\n", int(num(m, "ratings")), int(num(m, "raters")))
	}
	if ex := sub(m, "excluded"); len(ex) > 0 {
		var parts []string
		for k, v := range ex {
			parts = append(parts, fmt.Sprintf("%s %v", k, v))
		}
		fmt.Fprintf(w, "not counted: %s\n", strings.Join(parts, ", "))
	}
	fmt.Fprintf(w, "incidents against: %d, shifts worked: %d\n", int(num(m, "incidents")), int(num(m, "shifts_worked")))
	why, _ := m["why"].([]any)
	for _, x := range why {
		fmt.Fprintf(w, "  - %v\n", x)
	}
	return nil
}
