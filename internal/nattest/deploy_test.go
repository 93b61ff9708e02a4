package nattest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitFile = "../../examples/systemd/coopnode-relay.service"

// TestRelayUnit: docs/deploy-relay.md shows examples/systemd's relay unit
// word for word, and systemd accepts the unit (systemd-analyze verify,
// with ExecStart pointing at a freshly built coopnode).
func TestRelayUnit(t *testing.T) {
	unit, err := os.ReadFile(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("../../docs/deploy-relay.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(doc), "<!-- coopnode-relay.service begins -->\n```ini\n")
	block, _, ok2 := strings.Cut(block, "```\n<!-- coopnode-relay.service ends -->")
	if !ok || !ok2 || block != string(unit) {
		t.Errorf("docs/deploy-relay.md's unit differs from %s: copy the file into the block", unitFile)
	}
	if _, err := exec.LookPath("systemd-analyze"); err != nil {
		msg := "systemd-analyze is missing (apt-get install systemd)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	bin := buildCoopnode(t)
	path := filepath.Join(t.TempDir(), "coopnode-relay.service")
	if err := os.WriteFile(path, []byte(strings.ReplaceAll(string(unit), "/usr/local/bin/coopnode", bin)), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("systemd-analyze", "verify", path).CombinedOutput(); err != nil || len(strings.TrimSpace(string(out))) != 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
