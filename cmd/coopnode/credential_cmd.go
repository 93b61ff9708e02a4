package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/coopnode/coopnode/credential"
	"github.com/coopnode/coopnode/node"
)

// cmdCredential checks a courier's work record credential offline:
//
//	coopnode credential verify [-at TIME] [-json] FILE
//
// Exit status 0 if it verifies, 1 with the refusal's code and detail if
// not (tampered, expired, not_yet_valid, wrong_cryptosuite, ...), 2 for a
// bad command line. Whether the issuing did:key is a coop you trust is
// yours to judge: the output names it.
func cmdCredential(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && args[0] == "verify":
		args = args[1:]
	case len(args) > 0 && args[0] == "export":
		return credentialExport.run(ctx, args[1:], stdout, stderr)
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
	default:
		return usagef("want the subcommand verify or export: coopnode credential verify [-at TIME] [-json] FILE, coopnode credential export -data DIR -courier KEY [flags]")
	}
	fs := newFlags("credential", stderr)
	at := fs.String("at", "", "verify as of this RFC 3339 time (default: now)")
	asJSON := fs.Bool("json", false, "print the verified credential's content as JSON")
	rest, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	now := time.Now()
	if *at != "" {
		if now, err = time.Parse(time.RFC3339, *at); err != nil {
			return usagef("-at %q is not an RFC 3339 time such as 2026-08-01T00:00:00Z", *at)
		}
	}
	f, err := os.Open(rest[0])
	if err != nil {
		return cliErrorf(node.ErrBadArgument, "%v", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, credential.MaxSize+1))
	if err != nil {
		return err
	}
	v, err := credential.Verify(raw, now)
	if err != nil {
		return fmt.Errorf("%s: %w", rest[0], err) // prints with the credential's code (node.Code)
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	r := v.Record
	issuer := v.Issuer
	if v.IssuerName != "" {
		issuer += " (" + v.IssuerName + ")"
	}
	day := func(t time.Time) string { return t.UTC().Format("2006-01-02") }
	fmt.Fprintf(stdout, "valid: a courier work record\n  issuer   %s\n  courier  %s\n", issuer, v.Subject)
	fmt.Fprintf(stdout, "  period   %s to %s: %s (%.1f%% on time), %s\n",
		day(r.PeriodStart), day(r.PeriodEnd), plural(r.Deliveries, "delivery", "deliveries"), 100*r.OnTimeShare, plural(r.ShiftsWorked, "shift", "shifts"))
	if r.Ratings > 0 {
		fmt.Fprintf(stdout, "  rating   %.2f from %d ratings\n", r.MeanRating, r.Ratings)
	} else {
		fmt.Fprintln(stdout, "  rating   none")
	}
	until := "no end"
	if !v.ValidUntil.IsZero() {
		until = day(v.ValidUntil)
	}
	fmt.Fprintf(stdout, "  valid    %s to %s (checked as of %s)\n", day(v.ValidFrom), until, now.UTC().Format(time.RFC3339))
	return nil
}

// plural says n with the noun's singular or plural form: "1 delivery".
func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
