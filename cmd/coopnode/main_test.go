package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The child process runs realMain with the arguments in COOPNODE_ARGS.
func TestMain(m *testing.M) {
	if args := os.Getenv("COOPNODE_ARGS"); args != "" {
		os.Exit(realMain(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type cli struct {
	t       *testing.T
	procs   []*exec.Cmd
	orderID string
}

// start runs "coopnode ARGS" as a child process.
func (c *cli) start(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "COOPNODE_ARGS="+strings.Join(args, "\x1f"))
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		c.t.Fatal(err)
	}
	c.procs = append(c.procs, cmd)
	c.t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	return cmd
}

// run runs a client command in-process and decodes its JSON output.
func (c *cli) run(args ...string) map[string]any {
	c.t.Helper()
	if _, ok := clientCommands[args[0]]; ok {
		args = append(args, "-json")
	}
	var out, errb bytes.Buffer
	if code := realMain(args, &out, &errb); code != 0 {
		c.t.Fatalf("coopnode %v: exit %d: %s", args, code, errb.String())
	}
	var m map[string]any
	_ = json.Unmarshal(out.Bytes(), &m)
	return m
}

func waitFile(t *testing.T, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(name); err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never appeared", name)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

func keyOf(t *testing.T, c *cli, dir string) string {
	return c.run("status", "-data", dir)["key"].(string)
}

// TestThreeNodesByHand follows the README: a restaurant, a courier and a
// customer, each "coopnode run" in its own process, take an order from
// placed to delivered through the CLI; SIGTERM stops each cleanly.
func TestThreeNodesByHand(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := &cli{t: t}
	base := t.TempDir()
	dirs := map[string]string{}
	for _, role := range []string{"restaurant", "courier", "customer"} {
		d := filepath.Join(base, role)
		dirs[role] = d
		c.run("init", "-data", d, "-role", role, "-listen", "/ip4/127.0.0.1/tcp/0", "-mdns=false")
	}
	ts := time.Now()
	mark := func(what string) { t.Logf("setup %6.2fs %s", time.Since(ts).Seconds(), what) }
	defer mark("setup done")
	c.start("run", "-data", dirs["restaurant"], "-log-level", "warn")
	waitFile(t, filepath.Join(dirs["restaurant"], apiFile))
	mark("restaurant up")
	c.run("found", "-data", dirs["restaurant"], "-name", "Hand Coop", "-city", "Nantes")
	me := keyOf(t, c, dirs["restaurant"])
	c.run("admit", "-data", dirs["restaurant"], "-member", me, "-roles", "admin,restaurant", "-name", "Chez Mia")
	invite := c.run("invite", "-data", dirs["restaurant"])["invite"].(string)
	mark("founded")

	for _, role := range []string{"courier", "customer"} {
		c.start("run", "-data", dirs[role], "-invite", invite, "-log-level", "warn")
		waitFile(t, filepath.Join(dirs[role], apiFile))
	}
	mark("others up")
	courier := keyOf(t, c, dirs["courier"])
	c.run("admit", "-data", dirs["restaurant"], "-member", courier, "-roles", "courier", "-name", "Zoé")

	// the restaurant (an admin too) publishes the coop's rules, its profile
	// and its menu: the README's example files
	c.run("rules", "-data", dirs["restaurant"], "-file", "../../examples/rules.json")
	c.run("profile", "-data", dirs["restaurant"], "-file", "../../examples/profile.json")
	c.run("menu", "-data", dirs["restaurant"], "-file", "../../examples/menu.json")
	mark("profile")
	tp := time.Now()
	defer func() { t.Logf("placing took %.2fs", time.Since(tp).Seconds()) }()
	// the customer prices the cart (options and a tip), then places it,
	// once its node has the menu and the rules
	var quote map[string]any
	waitFor(t, func() bool {
		var out, errb bytes.Buffer
		if realMain([]string{"quote", "-data", dirs["customer"], "-file", "../../examples/checkout.json", "-restaurant", me, "-json"}, &out, &errb) != 0 {
			return false
		}
		return json.Unmarshal(out.Bytes(), &quote) == nil
	})
	// 2 wraps with harissa (2 × 7.00) + lemonade 3.00 = 17.00; delivery by
	// the rules; a 2.00 tip
	if quote["items_cents"] != 1700.0 || quote["tip_cents"] != 200.0 || quote["delivery_cents"].(float64) < 350 {
		t.Fatalf("quote: %v", quote)
	}
	out := c.run("checkout", "-data", dirs["customer"], "-file", "../../examples/checkout.json", "-restaurant", me)
	c.orderID, _ = out["id"].(string)
	if c.orderID == "" {
		t.Fatalf("checkout: %v", out)
	}
	id := c.orderID
	t0 := time.Now()
	step := func(what string) { t.Logf("%6.2fs %s", time.Since(t0).Seconds(), what) }
	step("placed")
	waitFor(t, func() bool { return ok(realMainQuiet("accept", "-data", dirs["restaurant"], id)) })
	step("accepted")
	waitFor(t, func() bool {
		var out, errb bytes.Buffer
		return realMain([]string{"claim", "-data", dirs["courier"], id, "-json"}, &out, &errb) == 0 && strings.Contains(out.String(), `"won": true`)
	})
	step("claimed")
	c.run("ready", "-data", dirs["restaurant"], id)
	step("ready")
	waitFor(t, func() bool { return ok(realMainQuiet("pickup", "-data", dirs["courier"], id)) })
	step("picked up")
	c.run("deliver", "-data", dirs["courier"], "-recipient", "Léa", "-pin", "4821", id)
	var final string
	waitFor(t, func() bool {
		var out, errb bytes.Buffer
		realMain([]string{"order", "-data", dirs["customer"], id, "-json"}, &out, &errb)
		final = out.String()
		return strings.Contains(final, `"status": "delivered"`)
	})
	var st map[string]any
	must(t, json.Unmarshal([]byte(final), &st))
	if st["holder"] != courier || st["holder_confirmed"] != true || st["proof"].(map[string]any)["recipient"] != "Léa" {
		t.Fatalf("final order at the customer: %s", final)
	}
	t.Logf("order %s delivered by %s, seen by the customer's own node", id[:8], courier[:8])
	step("delivered at the customer")
	defer step("all stopped")
	for _, p := range c.procs {
		if err := p.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- p.Wait() }()
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("node exited badly on SIGTERM: %v", err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("node did not stop on SIGTERM")
		}
	}
}

func (c *cli) saveOrder(b []byte) bool {
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return false
	}
	id, _ := m["id"].(string)
	c.orderID = id
	return id != ""
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func realMainQuiet(args ...string) int {
	var out, errb bytes.Buffer
	return realMain(args, &out, &errb)
}

func ok(code int) bool { return code == 0 }

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for !cond() {
		if ctx.Err() != nil {
			t.Fatal("condition not reached in 30 s")
		}
		time.Sleep(50 * time.Millisecond) // polling a condition with a deadline
	}
}

// TestRunTwice: a second "coopnode run" on a folder in use says so,
// instead of the store's lock error (issue 12.8).
func TestRunTwice(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	c := &cli{t: t}
	dir := filepath.Join(t.TempDir(), "node")
	c.run("init", "-data", dir, "-listen", "/ip4/127.0.0.1/tcp/0", "-mdns=false")
	first := c.start("run", "-data", dir, "-log-level", "warn")
	waitFile(t, filepath.Join(dir, apiFile))
	var out, errb bytes.Buffer
	code := realMain([]string{"run", "-data", dir, "-log-level", "warn"}, &out, &errb)
	if code != 1 || !strings.Contains(errb.String(), "already_running: a node is already running on "+dir) || strings.Count(errb.String(), "\n") != 1 {
		t.Fatalf("second run: exit %d, %q", code, errb.String())
	}
	// the first node is unharmed and still answers
	c.run("status", "-data", dir)
	must(t, first.Process.Signal(syscall.SIGTERM))
	must(t, first.Wait())
}
