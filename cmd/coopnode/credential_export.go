package main

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/coopnode/coopnode/credential"
	"github.com/coopnode/coopnode/node"
)

// credentialExport is "coopnode credential export": a client command run
// as a subcommand of credential, so not listed on its own.
var credentialExport command

func init() {
	addClient("credential-export", "export a courier's work record credential, signed by this node as the coop's issuer",
		"-courier KEY [-from YYYY-MM-DD] [-to YYYY-MM-DD] [-valid-days N] [-o FILE]", 0, func(fs *flagSet) clientAction {
			courier := fs.String("courier", "", "the courier (key, hex or unambiguous prefix; required)")
			from := fs.String("from", "", "count orders finished from this UTC day (default: since the courier's admission)")
			to := fs.String("to", "", "count orders finished before this UTC day (default: now)")
			valid := fs.Int("valid-days", 365, "days the credential stays valid, 1..1830")
			out := fs.String("o", "", "write the credential to this file (default: standard output)")
			return func(iv *invocation) error {
				if *courier == "" {
					return usagef("-courier is required: the courier whose record to export")
				}
				if *valid < 1 || *valid > 1830 {
					return usagef("-valid-days %d: want 1..1830", *valid)
				}
				body := map[string]any{"valid_days": *valid}
				for name, v := range map[string]string{"from": *from, "to": *to} {
					if v == "" {
						continue
					}
					d, err := time.Parse("2006-01-02", v)
					if err != nil {
						return usagef("-%s %q: want a date as YYYY-MM-DD", name, v)
					}
					body[name] = d.UnixMilli()
				}
				k, err := iv.member("-courier", *courier)
				if err != nil {
					return err
				}
				body["courier"] = k
				c, err := iv.client()
				if err != nil {
					return err
				}
				raw, err := c.do(iv.ctx, "POST", "/v1/credentials/export", body)
				if errCode(err) == "not_issuer" {
					return fmt.Errorf("%w; run it on the issuer's node, or have the coop name this node credential_issuer in its constitution (PUT /v1/coop/constitution, SPEC.md §21.5)", err)
				}
				if err != nil {
					return err
				}
				if *out == "" {
					_, err = iv.out.Write(append(raw, '\n'))
					return err
				}
				if err := os.WriteFile(*out, append(raw, '\n'), 0o644); err != nil {
					return cliErrorf(node.ErrBadArgument, "%v", err)
				}
				_, err = fmt.Fprintf(iv.out, "wrote %s: check it with coopnode credential verify %s\n", *out, *out)
				return err
			}
		})
	credentialExport = clientCommands["credential-export"]
	delete(clientCommands, "credential-export")
}

// readCredential reads a credential file, bounded by credential.MaxSize.
func readCredential(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, cliErrorf(node.ErrBadArgument, "-credential: %v", err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, credential.MaxSize+1))
	if err != nil {
		return nil, err
	}
	if len(raw) > credential.MaxSize {
		return nil, cliErrorf(node.ErrBadArgument, "-credential: %s is over %d bytes", path, credential.MaxSize)
	}
	return raw, nil
}

// fmtAdmitted prints an admission, and the record it was admitted on.
func fmtAdmitted(w io.Writer, b []byte) error {
	m, err := asObj(b)
	if err != nil {
		return err
	}
	if rec := sub(m, "record"); rec != nil {
		r := sub(rec, "Record")
		fmt.Fprintf(w, "work record verified: issued by %s, %v deliveries, %v shifts\n", str(rec, "Issuer"), r["Deliveries"], r["ShiftsWorked"])
	}
	_, err = fmt.Fprintln(w, "done")
	return err
}
