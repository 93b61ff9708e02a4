package main

import (
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/coopnode/coopnode/node"
)

// Marketplace commands (SPEC.md §13.5): they drive a running node's HTTP
// API like the other client commands.
func init() {
	fileCommand("rules", "publish the coop's pricing rules from a JSON file (admins)", "PUT", "/v1/coop/rules", published("pricing rules"))
	cartCommand("quote", "price a cart without ordering", "/v1/quote", false)
	cartCommand("checkout", "price and place an order ({cart, personal, pin} in the file)", "/v1/checkout", true)
	fileCommandAs("parcel", "request a parcel delivery (shops) from a JSON file", "PARCEL.json", "JSON file holding one object (required)", "POST", "/v1/deliveries", fmtPlaced)
	addClient("slots", "list a restaurant's time slots", "-restaurant KEY", 0, func(fs *flagSet) clientAction {
		k := fs.String("restaurant", "", "the restaurant's key, hex or unambiguous prefix (required)")
		return func(iv *invocation) error {
			if *k == "" {
				return usagef("-restaurant is required: the restaurant's key ('coopnode restaurants' lists them)")
			}
			key, err := iv.member("restaurant", *k)
			if err != nil {
				return err
			}
			return iv.call("GET", "/v1/restaurants/"+key+"/slots", nil, fmtSlots)
		}
	})
	orderGet := func(name, summary, path string, human func(io.Writer, []byte) error) {
		addClient(name, summary, "ORDER", 1, func(fs *flagSet) clientAction {
			return func(iv *invocation) error {
				id, err := iv.order(0)
				if err != nil {
					return err
				}
				return iv.call("GET", "/v1/orders/"+id+path, nil, human)
			}
		})
	}
	orderGet("price", "show how an order's price was derived, recomputed from its rules", "/price", fmtGeneric)
	orderGet("personal", "show an order's sealed personal data, if this node may read it", "/personal", fmtGeneric)
	orderGet("track", "follow an order's courier: position and ETA (its customer and restaurant)", "/tracking", fmtGeneric)
	addClient("position", "share the courier's position with its orders' parties", "-lat DEG -lon DEG", 0, func(fs *flagSet) clientAction {
		where := courierPosition(fs)
		return func(iv *invocation) error {
			la, lo, err := where()
			if err != nil {
				return err
			}
			pos := map[string]any{"lat_e6": la, "lon_e6": lo}
			return iv.call("POST", "/v1/position", map[string]any{"position": pos}, func(w io.Writer, b []byte) error {
				m, err := asObj(b)
				if err == nil {
					_, err = fmt.Fprintf(w, "position sent for %v order(s) you hold\n", num(m, "orders_told"))
				}
				return err
			})
		}
	})
	addClient("rate", "rate a delivered order (its customer)", "[-restaurant 1-5] [-courier 1-5] [-comment TEXT] ORDER", 1, func(fs *flagSet) clientAction {
		rs := fs.Uint("restaurant", 0, "stars for the restaurant, 1-5 (0: none)")
		cs := fs.Uint("courier", 0, "stars for the courier, 1-5 (0: none)")
		cm := fs.String("comment", "", "a comment")
		return func(iv *invocation) error {
			if err := checkHexPrefix("order ID", iv.args[0]); err != nil {
				return err
			}
			if *rs > 5 || *cs > 5 {
				return usagef("stars go from 1 to 5 (0: no rating)")
			}
			if *rs == 0 && *cs == 0 && *cm == "" {
				return usagef("give -restaurant, -courier or -comment")
			}
			id, err := iv.order(0)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/orders/"+id+"/rate", map[string]any{"restaurant_stars": *rs, "courier_stars": *cs, "comment": *cm}, fmtOrder)
		}
	})
	addClient("export", "write a CSV export for the coop's books", "-kind orders|deliveries|pay|pay-summary|payments|invoice [-day YYYY-MM-DD] [-month YYYY-MM] [-courier KEY] [-restaurant KEY]", 0, func(fs *flagSet) clientAction {
		kind := fs.String("kind", "orders", "orders, deliveries, pay, pay-summary, payments, or invoice (one restaurant's month: -restaurant and -month)")
		day := fs.String("day", "", "a local date, YYYY-MM-DD")
		month := fs.String("month", "", "a month, YYYY-MM (invoice)")
		courier := fs.String("courier", "", "only this courier's orders (key, hex or unambiguous prefix)")
		resto := fs.String("restaurant", "", "only this restaurant's orders (key, hex or unambiguous prefix)")
		return func(iv *invocation) error {
			switch *kind {
			case "orders", "deliveries", "pay", "pay-summary", "payments":
			case "invoice":
				if *resto == "" || *month == "" {
					return usagef("-kind invoice needs -restaurant and -month")
				}
			default:
				return usagef("-kind %q: want orders, deliveries, pay, pay-summary, payments or invoice", *kind)
			}
			if *month != "" {
				if _, err := time.Parse("2006-01", *month); err != nil {
					return usagef("-month %q: want a month as YYYY-MM", *month)
				}
			}
			if *day != "" {
				if _, err := time.Parse("2006-01-02", *day); err != nil {
					return usagef("-day %q: want a date as YYYY-MM-DD", *day)
				}
			}
			q := url.Values{}
			if *day != "" {
				q.Set("day", *day)
			}
			if *month != "" {
				q.Set("month", *month)
			}
			for name, v := range map[string]string{"courier": *courier, "restaurant": *resto} {
				k, err := iv.member(name, v)
				if err != nil {
					return err
				}
				if k != "" {
					q.Set(name, k)
				}
			}
			c, err := iv.client()
			if err != nil {
				return err
			}
			b, err := c.do(iv.ctx, "GET", "/v1/exports/"+*kind+".csv?"+q.Encode(), nil)
			if err != nil {
				return err
			}
			_, err = iv.out.Write(b) // CSV whatever the output mode
			return err
		}
	})
}

// cartCommand posts a cart (quote) or a checkout request ({cart, personal,
// pin}), with the cart's restaurant set by -restaurant or in the file, so
// example files need no key.
func cartCommand(name, summary, path string, wrapped bool) {
	file := "CART.json"
	if wrapped {
		file = "CHECKOUT.json"
	}
	addClient(name, summary, "-file "+file+" -restaurant KEY", 0, func(fs *flagSet) clientAction {
		fileName := fs.String("file", "", "JSON file (required): a cart, or a checkout's {cart, personal, pin}")
		resto := fs.String("restaurant", "", "the restaurant's key, hex or unambiguous prefix (required unless the cart names it)")
		return func(iv *invocation) error {
			body, err := readJSONObject(*fileName)
			if err != nil {
				return err
			}
			cart := body
			if inner, ok := body["cart"]; ok {
				if cart, ok = inner.(map[string]any); !ok {
					return cliErrorf(node.ErrBadJSON, "%s: \"cart\" must be a JSON object", *fileName)
				}
				if !wrapped {
					body = cart // a quote of a checkout file's cart
				}
			} else if wrapped {
				return cliErrorf(node.ErrBadJSON, "%s: no \"cart\" object (a checkout file holds {\"cart\": {...}, \"personal\": {...}, \"pin\": \"...\"})", *fileName)
			}
			if *resto != "" {
				k, err := iv.member("restaurant", *resto)
				if err != nil {
					return err
				}
				cart["restaurant"] = k
			}
			if r, _ := cart["restaurant"].(string); r == "" {
				return usagef("-restaurant is required: the restaurant's key ('coopnode restaurants' lists them), or \"restaurant\" in the cart")
			}
			human := fmtQuote
			if wrapped {
				human = fmtPlaced
			}
			return iv.call("POST", path, body, human)
		}
	})
}

func fmtSlots(w io.Writer, b []byte) error {
	l, err := asList(b)
	if err != nil {
		return err
	}
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, "no slots")
		return err
	}
	for _, s := range l {
		st, _ := time.Parse(time.RFC3339Nano, str(s, "start"))
		en, _ := time.Parse(time.RFC3339Nano, str(s, "end"))
		fmt.Fprintf(w, "%s – %s\n", st.Local().Format("Mon 2006-01-02 15:04"), en.Local().Format("15:04"))
	}
	return nil
}
