package main

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// The payment commands (SPEC.md §20): a customer asks to pay online, a
// courier or restaurant records a payment taken by hand, a restaurant sets
// its provider account and runs its payment duties.
func init() {
	addClient("pay", "get a way to pay an online order (its customer): asks the restaurant's node", "ORDER", 1, func(fs *flagSet) clientAction {
		return func(iv *invocation) error {
			id, err := iv.order(0)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/orders/"+id+"/pay", nil, fmtPaySession)
		}
	})
	addClient("payment", "record a payment taken or given back by hand (cash or card; a refund)", "-state paid|failed|refunded [-reason TEXT] ORDER", 1, func(fs *flagSet) clientAction {
		state := fs.String("state", "", "paid, failed or refunded (required)")
		reason := fs.String("reason", "", "why it failed or was refunded")
		return func(iv *invocation) error {
			switch *state {
			case "paid", "failed", "refunded":
			default:
				return usagef("-state %q: want paid, failed or refunded", *state)
			}
			id, err := iv.order(0)
			if err != nil {
				return err
			}
			return iv.call("POST", "/v1/orders/"+id+"/payment", map[string]any{"state": *state, "reason": *reason}, fmtPayment)
		}
	})
	addClient("payments-account", "set the restaurant's Stripe account (stored sealed; never shown again)", "-key-file FILE [-webhook-secret-file FILE] [-api-base URL]", 0, func(fs *flagSet) clientAction {
		keyFile := fs.String("key-file", "", "file holding the Stripe secret key, sk_… (required; kept off the command line)")
		whFile := fs.String("webhook-secret-file", "", "file holding the webhook signing secret, whsec_… (only with -payments-webhook on run)")
		base := fs.String("api-base", "", "another API address, e.g. a stripe-mock for trials")
		return func(iv *invocation) error {
			if *keyFile == "" {
				return usagef("-key-file is required: a file holding the Stripe secret key")
			}
			key, err := readSecret("-key-file", *keyFile)
			if err != nil {
				return err
			}
			wh := ""
			if *whFile != "" {
				if wh, err = readSecret("-webhook-secret-file", *whFile); err != nil {
					return err
				}
			}
			return iv.call("PUT", "/v1/payments/account", map[string]any{"provider": "stripe", "secret_key": key, "webhook_secret": wh, "api_base": *base}, fmtAccountSet)
		}
	})
	addClient("payments-poll", "ask the payment provider now about open payments; refund cancelled paid orders (restaurant)", "", 0, func(fs *flagSet) clientAction {
		return func(iv *invocation) error {
			return iv.call("POST", "/v1/payments/poll", nil, fmtPolled)
		}
	})
}

func readSecret(flag, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", usagef("%s: %v", flag, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", usagef("%s: %s is empty", flag, path)
	}
	return s, nil
}

func fmtPaySession(w io.Writer, b []byte) error {
	o, err := asObj(b)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "order    %s\npayment  %s %s, %s\n", str(o, "order"), str(o, "provider"), str(o, "ref"), str(o, "state"))
	fmt.Fprintf(w, "amount   %.0f %s (cents)\n", num(o, "amount_cents"), strings.ToUpper(str(o, "currency")))
	if s := str(o, "client_secret"); s != "" {
		fmt.Fprintf(w, "client secret %s (confirm it with Stripe Elements)\n", s)
	}
	if u := str(o, "url"); u != "" {
		fmt.Fprintf(w, "pay at   %s\n", u)
	}
	return nil
}

func fmtPayment(w io.Writer, b []byte) error {
	o, err := asObj(b)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "payment  %s, %s, %s", str(o, "method"), str(o, "state"), money(num(o, "amount_cents")))
	if r := str(o, "reason"); r != "" {
		fmt.Fprintf(w, " (%s)", r)
	}
	fmt.Fprintln(w)
	return nil
}

func fmtAccountSet(w io.Writer, b []byte) error {
	o, err := asObj(b)
	if err != nil {
		return err
	}
	if set, _ := o["set"].(bool); !set {
		_, err = fmt.Fprintln(w, "no payment account set")
		return err
	}
	_, err = fmt.Fprintf(w, "the restaurant's %s account is set, sealed in the node's data folder (never shown again)\n", str(o, "provider"))
	return err
}

func fmtPolled(w io.Writer, b []byte) error {
	o, err := asObj(b)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "asked the payment provider about open payments: %.0f calls\n", num(o, "calls"))
	return err
}
