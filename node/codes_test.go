package node

import (
	"context"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/coopnode/coopnode/crdt"
	"github.com/coopnode/coopnode/credential"
	"github.com/coopnode/coopnode/market"
)

// sentinels is every exported error variable of package node, by name.
// TestCodeTableCoversEverySentinel checks this list against the source, so
// a new sentinel without a code fails the test.
var sentinels = map[string]error{
	"ErrBadRole": ErrBadRole, "ErrNoKey": ErrNoKey, "ErrNoCoop": ErrNoCoop, "ErrUnknown": ErrUnknown,
	"ErrRefused": ErrRefused, "ErrNotMember": ErrNotMember, "ErrNotShared": ErrNotShared, "ErrArchived": ErrArchived,
	"ErrBadArgument": ErrBadArgument, "ErrBadImage": ErrBadImage, "ErrTimeout": ErrTimeout, "ErrClosed": ErrClosed,
	"ErrBadJSON": ErrBadJSON, "ErrTooLarge": ErrTooLarge, "ErrUnauthorized": ErrUnauthorized,
	"ErrNoRoute": ErrNoRoute, "ErrBadMethod": ErrBadMethod, "ErrWrongRole": ErrWrongRole, "ErrNotOfferedYet": ErrNotOfferedYet, "ErrNotIssuer": ErrNotIssuer, "ErrWrongSubject": ErrWrongSubject, "ErrOffline": ErrOffline, "ErrUnreachablePeer": ErrUnreachablePeer, "ErrAlreadyRunning": ErrAlreadyRunning,
	"ErrNotFound": ErrNotFound, "ErrBadMetaName": ErrBadMetaName, "ErrGossipClosed": ErrGossipClosed,
	"ErrBadTopic": ErrBadTopic, "ErrSyncProtocol": ErrSyncProtocol, "ErrSyncCoop": ErrSyncCoop,
	"ErrBadBootstrap": ErrBadBootstrap, "ErrNotEd25519": ErrNotEd25519, "ErrBadInvite": ErrBadInvite,
	"ErrPaymentsOff": ErrPaymentsOff, "ErrPaymentProvider": ErrPaymentProvider, "ErrPaymentDeclined": ErrPaymentDeclined,
	"ErrWebhookSignature": ErrWebhookSignature, "ErrWebhookReplayed": ErrWebhookReplayed,
}

var snake = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// TestCodeTable: every code is snake_case, unique, documented and has an
// HTTP status; every sentinel in the table maps to exactly one code, its
// row's, bare or wrapped.
func TestCodeTable(t *testing.T) {
	seen := map[string]bool{}
	owner := map[error]string{}
	for _, r := range Codes() {
		if !snake.MatchString(r.Code) {
			t.Errorf("code %q is not snake_case", r.Code)
		}
		if seen[r.Code] {
			t.Errorf("code %q twice in the table", r.Code)
		}
		seen[r.Code] = true
		if r.Doc == "" || r.Status < 400 || r.Status > 599 {
			t.Errorf("code %q: doc %q, status %d", r.Code, r.Doc, r.Status)
		}
		for _, e := range r.Errs {
			if o, dup := owner[e]; dup {
				t.Errorf("sentinel %v in rows %q and %q", e, o, r.Code)
			}
			owner[e] = r.Code
			for _, err := range []error{e, fmt.Errorf("context: %w", e), fmt.Errorf("%w: more", e)} {
				if got := Code(err); got != r.Code {
					t.Errorf("Code(%v) = %q, want %q", err, got, r.Code)
				}
			}
			if Describe(r.Code) != r.Doc || HTTPStatus(r.Code) != r.Status {
				t.Errorf("code %q: Describe/HTTPStatus disagree with the table", r.Code)
			}
		}
	}
	if Code(nil) != "" || Code(errors.New("disk on fire")) != CodeInternal {
		t.Errorf("Code(nil) = %q, Code(other) = %q", Code(nil), Code(errors.New("x")))
	}
	if Code(context.Canceled) != Code(ErrClosed) || Code(ErrGossipClosed) != Code(ErrClosed) {
		t.Error("a cancelled call and a closed gossip layer must read as a stopped node")
	}
	if Code(ErrClosed) == market.Code(market.ErrRestaurantClosed) {
		t.Error("a stopped node and a closed restaurant share a code")
	}
}

// TestCodeTableCoversEverySentinel: every exported Err variable of package
// node (read from the source), every market sentinel, and every reason of
// the fold (crdt) and the gate (protocol) has a code in the table.
func TestCodeTableCoversEverySentinel(t *testing.T) {
	inTable := map[error]bool{}
	codes := map[string]bool{}
	for _, r := range Codes() {
		codes[r.Code] = true
		for _, e := range r.Errs {
			inTable[e] = true
		}
	}
	names := exportedErrVars(t, ".")
	for _, n := range names {
		e, ok := sentinels[n]
		if !ok {
			t.Errorf("sentinel %s has no code: add it to the table in codes.go and to sentinels in codes_test.go", n)
			continue
		}
		if !inTable[e] && Code(e) == CodeInternal {
			t.Errorf("sentinel %s maps to no code of its own", n)
		}
	}
	if len(names) != len(sentinels) {
		t.Errorf("source has %d sentinels %v, the test lists %d", len(names), names, len(sentinels))
	}
	for _, c := range market.Codes() {
		if got := Code(c.Err); got != c.Code {
			t.Errorf("Code(market %v) = %q, want %q", c.Err, got, c.Code)
		}
	}
	for _, c := range credential.Codes() {
		if got := Code(c.Err); got != c.Code {
			t.Errorf("Code(credential %v) = %q, want %q", c.Err, got, c.Code)
		}
	}
	for _, file := range []string{"../crdt/reasons.go", "../protocol/validate.go"} {
		for _, reason := range reasonConsts(t, file) {
			if !codes[reason] {
				t.Errorf("%s: reason %q has no code in the table", file, reason)
			}
			re := &RefusedError{Kind: "test", Reason: reason}
			if Code(re) != reason || !errors.Is(re, ErrRefused) {
				t.Errorf("refusal %q: code %q", reason, Code(re))
			}
		}
	}
}

// TestRefusedError: a refusal matches ErrRefused and its cause, reads
// "<kind> refused: ...", and has its reason as code.
func TestRefusedError(t *testing.T) {
	cause := &market.Refusal{Err: market.ErrBadTimezone, Field: "timezone", Detail: `unknown time zone "Mars/Olympus"`}
	for _, tc := range []struct {
		err        error
		code, text string
	}{
		{refused(crdt.KindTaskDeliver, string(crdt.ReasonPINMismatch), ""), "pin_mismatch",
			"task.deliver refused: the handover PIN does not match the order's (pin_mismatch)"},
		{&RefusedError{Kind: "catalog.profile", Reason: "bad_timezone", Field: "timezone", Detail: cause.Detail, Err: cause}, "bad_timezone",
			`catalog.profile refused: timezone: unknown time zone "Mars/Olympus"`},
		{&RefusedError{Kind: "x", Reason: "no_such_reason"}, CodeRefused, "x refused: no_such_reason"},
	} {
		if got := Code(tc.err); got != tc.code {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if tc.err.Error() != tc.text {
			t.Errorf("Error() = %q, want %q", tc.err.Error(), tc.text)
		}
		wrapped := fmt.Errorf("outer: %w", tc.err)
		var re *RefusedError
		if !errors.Is(wrapped, ErrRefused) || !errors.As(wrapped, &re) || Code(wrapped) != tc.code {
			t.Errorf("%v: errors.Is/As through a wrap fail", tc.err)
		}
	}
	re := &RefusedError{Kind: "catalog.profile", Reason: "bad_timezone", Err: cause}
	var mr *market.Refusal
	if !errors.Is(re, market.ErrBadTimezone) || !errors.As(re, &mr) || mr.Field != "timezone" {
		t.Error("the cause is not reachable")
	}
}

// exportedErrVars lists the package-level exported variables named Err* in
// the non-test Go files of dir.
func exportedErrVars(t *testing.T, dir string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range af.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				for _, n := range s.(*ast.ValueSpec).Names {
					if strings.HasPrefix(n.Name, "Err") && n.IsExported() {
						out = append(out, n.Name)
					}
				}
			}
		}
	}
	sort.Strings(out)
	return out
}

// reasonConsts lists the non-empty string values of the constants of type
// Reason declared in file.
func reasonConsts(t *testing.T, file string) []string {
	t.Helper()
	af, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range af.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Reason" {
				continue
			}
			for _, v := range vs.Values {
				if lit, ok := v.(*ast.BasicLit); ok && lit.Kind == token.STRING {
					if s, err := strconv.Unquote(lit.Value); err == nil && s != "" {
						out = append(out, s)
					}
				}
			}
		}
	}
	if len(out) < 5 {
		t.Fatalf("%s: found only %d reasons; has the file moved?", file, len(out))
	}
	return out
}

// TestCodesSayHowToFix: the codes a new user meets first say what to do,
// not only what went wrong (README review).
func TestCodesSayHowToFix(t *testing.T) {
	for _, tc := range []struct {
		err  error
		code string
		want string
	}{
		{&RefusedError{Kind: "courier.claim", Reason: "not_courier"}, "not_courier", "coopnode admit -data ADMIN_DIR -member KEY -roles courier"},
		{fmt.Errorf("run: %w", ErrAlreadyRunning), "already_running", "stop it first"},
	} {
		if got := Code(tc.err); got != tc.code {
			t.Errorf("Code(%v) = %q, want %q", tc.err, got, tc.code)
		}
		if !strings.Contains(tc.err.Error()+" "+Describe(tc.code), tc.want) {
			t.Errorf("%s: %q / %q does not say %q", tc.code, tc.err, Describe(tc.code), tc.want)
		}
	}
}
