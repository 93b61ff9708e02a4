package main

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// TestRunFollowsTwoCoops (issue 17.2): a customer's data folder follows a
// second coop with "coopnode join -invite" while it runs: the home node
// joins the first invite's coop, the second starts a node of its own
// under the folder (coops/<coop ID>), with a key of its own, that reaches
// its coop's founder; "status" lists both; after a restart the folder
// still follows both.
func TestRunFollowsTwoCoops(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := &cli{t: t}
	base := t.TempDir()
	a, b, cust := filepath.Join(base, "a"), filepath.Join(base, "b"), filepath.Join(base, "cust")
	for _, d := range []string{a, b, cust} {
		c.run("init", "-data", d, "-listen", "/ip4/127.0.0.1/tcp/0", "-mdns=false")
	}
	runNode := func(dir string) func() {
		_ = os.Remove(filepath.Join(dir, apiFile))
		p := c.start("run", "-data", dir, "-log-level", "warn")
		waitFile(t, filepath.Join(dir, apiFile))
		return func() {
			must(t, p.Process.Signal(syscall.SIGTERM))
			must(t, p.Wait())
		}
	}
	defer runNode(a)()
	defer runNode(b)()
	c.run("found", "-data", a, "-name", "Vélo Nantes", "-city", "Nantes")
	c.run("found", "-data", b, "-name", "Roue Libre", "-city", "Nantes")
	coopA, coopB := c.run("status", "-data", a)["coop"].(string), c.run("status", "-data", b)["coop"].(string)

	stop := runNode(cust)
	c.run("join", "-data", cust, "-invite", c.run("invite", "-data", a)["invite"].(string))
	c.run("join", "-data", cust, "-invite", c.run("invite", "-data", b)["invite"].(string))
	coops := func() []map[string]any {
		var out []map[string]any
		for _, x := range c.run("status", "-data", cust)["coops"].([]any) {
			out = append(out, x.(map[string]any))
		}
		return out
	}
	check := func(when string) {
		t.Helper()
		waitFor(t, func() bool {
			cs := coops()
			return len(cs) == 2 && cs[1]["peers"].(float64) > 0 && cs[1]["name"] == "Roue Libre"
		})
		cs := coops()
		st := c.run("status", "-data", cust)
		if st["coop"] != coopA || cs[0]["coop"] != coopA || cs[1]["coop"] != coopB || cs[0]["name"] != "Vélo Nantes" {
			t.Fatalf("%s: status %v", when, st)
		}
		if cs[0]["key"] != st["key"] || cs[1]["key"] == st["key"] {
			t.Fatalf("%s: the second coop's node runs the home key: %v", when, cs)
		}
		if _, err := os.Stat(filepath.Join(cust, "coops", coopB, "store")); err != nil {
			t.Fatalf("%s: the second coop's store: %v", when, err)
		}
	}
	check("joined")
	stop()
	stop = runNode(cust)
	defer stop()
	check("restarted")
}
