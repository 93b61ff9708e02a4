package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRestartKeepsCoopAndInvite (issues 12.1 and 12.4): a founder that
// restarts listens where its invite says, so the invite it gave out still
// works; a node that joined with "run -invite" and restarts without it
// still follows the coop and reaches the founder.
func TestRestartKeepsCoopAndInvite(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := &cli{t: t}
	base := t.TempDir()
	founder, joiner := filepath.Join(base, "founder"), filepath.Join(base, "joiner")
	for _, d := range []string{founder, joiner} {
		c.run("init", "-data", d, "-listen", "/ip4/127.0.0.1/tcp/0", "-mdns=false")
	}
	cfg, err := os.ReadFile(filepath.Join(founder, configFile))
	must(t, err)
	if strings.Contains(string(cfg), "/tcp/0\"") {
		t.Fatalf("init kept port 0, so every restart listens elsewhere:\n%s", cfg)
	}
	runNode := func(dir string, args ...string) func() {
		p := c.start(append([]string{"run", "-data", dir, "-log-level", "warn"}, args...)...)
		waitFile(t, filepath.Join(dir, apiFile))
		return func() {
			must(t, p.Process.Signal(syscall.SIGTERM))
			must(t, p.Wait())
		}
	}
	stopFounder := runNode(founder)
	c.run("found", "-data", founder, "-name", "Restart Coop", "-city", "Nantes")
	invite := c.run("invite", "-data", founder)["invite"].(string)
	coop := c.run("status", "-data", founder)["coop"].(string)
	stopFounder()

	stopFounder = runNode(founder)
	defer stopFounder()
	if again := c.run("invite", "-data", founder)["invite"].(string); again != invite {
		t.Fatalf("the restarted founder's invite changed:\n%s\n%s", invite, again)
	}
	stopJoiner := runNode(joiner, "-invite", invite)
	waitFor(t, func() bool { return peers(c, joiner) > 0 })
	stopJoiner()

	stopJoiner = runNode(joiner) // no invite this time
	defer stopJoiner()
	if got := c.run("status", "-data", joiner)["coop"].(string); got != coop {
		t.Fatalf("restarted without -invite, the joiner follows coop %s, want %s", got, coop)
	}
	waitFor(t, func() bool { return peers(c, joiner) > 0 })
}

func peers(c *cli, dir string) int {
	v, _ := c.run("status", "-data", dir)["peers"].(float64)
	return int(v)
}
