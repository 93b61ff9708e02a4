package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestCredentialVerify: the published work record vector verifies from
// the command line; a tampered copy, an expired one and bad command lines
// are refused with their reasons and exit statuses.
func TestCredentialVerify(t *testing.T) {
	b, err := os.ReadFile("../../credential/testdata/work-record-vector.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec struct {
		Signed json.RawMessage `json:"signed"`
	}
	if err := json.Unmarshal(b, &vec); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	bad := filepath.Join(dir, "tampered.json")
	if err := os.WriteFile(good, vec.Signed, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, bytes.Replace(vec.Signed, []byte(`"deliveries": 412`), []byte(`"deliveries": 912`), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args      []string
		code      int
		wantOut   string
		wantError string
	}{
		{[]string{"credential", "verify", "-at", "2026-08-01T00:00:00Z", good}, 0, "412 deliveries (93.7% on time)", ""},
		{[]string{"credential", "verify", "-json", "-at", "2026-08-01T00:00:00Z", good}, 0, `"deliveries": 412`, ""},
		{[]string{"credential", "verify", "-at", "2026-08-01T00:00:00Z", bad}, 1, "", "coopnode credential: tampered: " + bad + ": "},
		{[]string{"credential", "verify", "-at", "2028-01-01T00:00:00Z", good}, 1, "", "coopnode credential: expired: " + good + ": "},
		{[]string{"credential", "verify", "-at", "2026-01-01T00:00:00Z", good}, 1, "", "coopnode credential: not_yet_valid: " + good + ": "},
		{[]string{"credential", "verify", filepath.Join(dir, "missing.json")}, 1, "", "no such file"},
		{[]string{"credential", "verify", "-at", "tomorrow", good}, 2, "", "RFC 3339"},
		{[]string{"credential", "verify"}, 2, "", "credential"},
		{[]string{"credential", "issue", good}, 2, "", "want the subcommand verify"},
		{[]string{"credential", "verify", good, "-at", "2026-08-01T00:00:00Z"}, 0, "412 deliveries", ""},
		{[]string{"credential", "-h"}, 0, "", "usage: coopnode credential verify [-at TIME] [-json] FILE"},
	} {
		var out, errb bytes.Buffer
		code := realMain(tc.args, &out, &errb)
		if slices.Contains(tc.args, "-json") {
			checkSnakeJSON(t, out.Bytes())
		}
		if code != tc.code || !strings.Contains(out.String(), tc.wantOut) || !strings.Contains(errb.String(), tc.wantError) {
			t.Errorf("%v: exit %d\nstdout %q\nstderr %q", tc.args, code, out.String(), errb.String())
		}
	}
}

// TestCredentialExportNotIssuerSaysWhatToDo: a node that is not the
// coop's issuer refuses with not_issuer, and the CLI says where to run
// the export or how the coop names an issuer (SPEC.md §21.5).
func TestCredentialExportNotIssuerSaysWhatToDo(t *testing.T) {
	dir := fakeData(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error": "this node is not the coop's credential issuer: the constitution designates no issuer", "code": "not_issuer"}`))
	}))
	var out, errb bytes.Buffer
	code := realMain([]string{"credential", "export", "-data", dir, "-courier", memberM}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "not_issuer") || !strings.Contains(errb.String(), "credential_issuer in its constitution") {
		t.Fatalf("exit %d, %q", code, errb.String())
	}
}

// checkSnakeJSON (issue 17, weakness 6): 'credential verify -json' prints
// the API's snake_case names, the record's and the proof's included, and
// keys in hex; no Go field name.
func checkSnakeJSON(t *testing.T, out []byte) {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("-json output %q: %v", out, err)
	}
	snake := regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	var walk func(path string, x any)
	walk = func(path string, x any) {
		if m, ok := x.(map[string]any); ok {
			for k, y := range m {
				if !snake.MatchString(k) {
					t.Errorf("%s%s is not snake_case", path, k)
				}
				walk(path+k+".", y)
			}
		}
	}
	walk("", v)
	rec, _ := v["record"].(map[string]any)
	proof, _ := v["proof"].(map[string]any)
	pk, _ := proof["public_key"].(string)
	if rec["deliveries"] != 412.0 || rec["on_time_share"] == nil || v["issuer"] == nil || v["valid_from"] == nil ||
		!regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(pk) {
		t.Errorf("-json output lacks the record, issuer, validity or a hex key: %s", out)
	}
}
